import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createExecRunner } from '../../agent/exec/runner';
import { ensureWgKey } from '../../agent/exec/wg-key';

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
});
