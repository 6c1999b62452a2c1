/**
 * The attachment store: which local containers the runtime attached, and their netns paths.
 *
 * Owns: `<stateDir>/attachments.json`, written atomically (temp file + rename) on every change so an
 * agent restart re-attaches nothing twice and forgets nothing. Never: kernel state — the
 * reconciler derives veths from this map on every pass.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import type { LocalAttachments } from '../desired/compute';

/** Who made an attachment through CNI: the runtime's own key for it (spec: CNI_CONTAINERID, CNI_IFNAME) and the network. */
const cniSchema = z.object({ containerId: z.string(), ifName: z.string(), networkId: z.string() });
export type CniKey = z.infer<typeof cniSchema>;

// Version 1 gained two optional fields (ifName, cni): files written before them still parse.
const entrySchema = z.object({ netnsPath: z.string(), attachedAt: z.string(), ifName: z.string().optional(), cni: cniSchema.optional() });
const fileSchema = z.object({ version: z.literal(1), attachments: z.record(z.string(), entrySchema) });
type FileShape = z.infer<typeof fileSchema>;
export type AttachmentEntry = z.infer<typeof entrySchema>;

/** A persisted map containerId → { netnsPath, attachedAt }. */
export class AttachmentStore {
  private data: FileShape = { version: 1, attachments: {} };
  readonly path: string;

  constructor(stateDir: string) {
    mkdirSync(stateDir, { recursive: true, mode: 0o700 });
    this.path = join(stateDir, 'attachments.json');
    if (existsSync(this.path)) this.data = fileSchema.parse(JSON.parse(readFileSync(this.path, 'utf8')));
  }

  /** containerId → netns path (with the interface name when the runtime chose one), the shape computeDesired takes. */
  paths(): LocalAttachments {
    return Object.fromEntries(
      Object.entries(this.data.attachments).map(([id, a]) => [id, a.ifName ? { netnsPath: a.netnsPath, ifName: a.ifName } : a.netnsPath]),
    );
  }

  /** Every attachment with what is known of it. */
  entries(): [string, AttachmentEntry][] {
    return Object.entries(this.data.attachments);
  }

  /** The Weft container a CNI attachment `(CNI_CONTAINERID, CNI_IFNAME)` was made for, if any. */
  findCni(containerId: string, ifName: string): string | undefined {
    return Object.entries(this.data.attachments).find(([, a]) => a.cni?.containerId === containerId && a.cni.ifName === ifName)?.[0];
  }

  /** The netns path of one container, if attached. */
  get(containerId: string): string | undefined {
    return this.data.attachments[containerId]?.netnsPath;
  }

  /** The full record of one attachment. */
  entry(containerId: string): AttachmentEntry | undefined {
    return this.data.attachments[containerId];
  }

  /** Records an attachment (replacing a previous path: the container was restarted). */
  set(containerId: string, netnsPath: string, extra: { ifName?: string; cni?: CniKey } = {}): void {
    this.data.attachments[containerId] = { netnsPath, attachedAt: new Date().toISOString(), ...extra };
    this.save();
  }

  /** Forgets an attachment; returns false when there was none (detach twice is fine). */
  delete(containerId: string): boolean {
    if (!(containerId in this.data.attachments)) return false;
    delete this.data.attachments[containerId];
    this.save();
    return true;
  }

  /**
   * Forgets attachments whose network namespace is gone (the container died without a detach: the
   * kernel already destroyed its veth). Returns the pruned ids so the caller can log them.
   */
  prune(exists: (path: string) => boolean): string[] {
    const gone = Object.entries(this.data.attachments)
      .filter(([, a]) => !exists(a.netnsPath))
      .map(([id]) => id);
    for (const id of gone) delete this.data.attachments[id];
    if (gone.length) this.save();
    return gone;
  }

  private save(): void {
    const tmp = `${this.path}.tmp`;
    writeFileSync(tmp, JSON.stringify(this.data, null, 2), { mode: 0o600 });
    renameSync(tmp, this.path);
  }
}
