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

const fileSchema = z.object({ version: z.literal(1), attachments: z.record(z.string(), z.object({ netnsPath: z.string(), attachedAt: z.string() })) });
type FileShape = z.infer<typeof fileSchema>;

/** A persisted map containerId → { netnsPath, attachedAt }. */
export class AttachmentStore {
  private data: FileShape = { version: 1, attachments: {} };
  readonly path: string;

  constructor(stateDir: string) {
    mkdirSync(stateDir, { recursive: true, mode: 0o700 });
    this.path = join(stateDir, 'attachments.json');
    if (existsSync(this.path)) this.data = fileSchema.parse(JSON.parse(readFileSync(this.path, 'utf8')));
  }

  /** containerId → netns path, the shape computeDesired takes. */
  paths(): Record<string, string> {
    return Object.fromEntries(Object.entries(this.data.attachments).map(([id, a]) => [id, a.netnsPath]));
  }

  /** The netns path of one container, if attached. */
  get(containerId: string): string | undefined {
    return this.data.attachments[containerId]?.netnsPath;
  }

  /** Records an attachment (replacing a previous path: the container was restarted). */
  set(containerId: string, netnsPath: string): void {
    this.data.attachments[containerId] = { netnsPath, attachedAt: new Date().toISOString() };
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
