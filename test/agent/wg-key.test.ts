import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createExecRunner } from '../../agent/exec/runner';
import { ensureWgKey, forgetOldWgKey, rotateWgKey } from '../../agent/exec/wg-key';

describe('ensureWgKey (uses the real `wg` tool, no root needed)', () => {
  it('generates once, mode 0600, and returns the same public key afterwards', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'weft-key-'));
    const runner = createExecRunner();
    const a = await ensureWgKey(runner, dir);
    expect(a.publicKey).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    expect(statSync(a.privateKeyPath).mode & 0o777).toBe(0o600);
    expect((await ensureWgKey(runner, dir)).publicKey).toBe(a.publicKey);
    rmSync(dir, { recursive: true, force: true });
  });

  it('rotateWgKey: a new key replaces wg.key (0600, same path), the old one is kept until forgotten', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'weft-key-'));
    const runner = createExecRunner();
    const a = await ensureWgKey(runner, dir);
    const oldPrivate = readFileSync(a.privateKeyPath, 'utf8');
    const b = await rotateWgKey(runner, dir);
    expect(b.privateKeyPath).toBe(a.privateKeyPath);
    expect(b.publicKey).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    expect(b.publicKey).not.toBe(a.publicKey);
    expect(statSync(b.privateKeyPath).mode & 0o777).toBe(0o600);
    expect((await ensureWgKey(runner, dir)).publicKey).toBe(b.publicKey); // a restart keeps the new key
    expect(readFileSync(join(dir, 'wg.key.old'), 'utf8')).toBe(oldPrivate);
    expect(existsSync(join(dir, 'wg.key.next'))).toBe(false);
    forgetOldWgKey(dir);
    expect(existsSync(join(dir, 'wg.key.old'))).toBe(false);
    rmSync(dir, { recursive: true, force: true });
  });
});
