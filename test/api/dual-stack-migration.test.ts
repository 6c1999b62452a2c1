// The dual_stack_ipv6 migration on a database that already holds networks: each gets ipv6 ON and the
// /64 its VNI derives (the SQL's text must equal ulaOfVni's RFC 5952 text, edge VNIs included).
import { cpSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '@libsql/client';
import { drizzle } from 'drizzle-orm/libsql';
import { migrate } from 'drizzle-orm/libsql/migrator';
import { afterAll, describe, expect, it } from 'vitest';
import { ulaOfVni } from '../../protocol/addressing/ipv6.ts';
import { MIGRATIONS_DIR } from '../../src/node/database.ts';

const dir = mkdtempSync(join(tmpdir(), 'weft-migration-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('dual_stack_ipv6 migration', () => {
  it('fills existing networks with ipv6 ON and the /64 derived from their VNI', async () => {
    const folders = readdirSync(MIGRATIONS_DIR)
      .filter((f) => /^\d{14}_/.test(f))
      .sort();
    const at = folders.findIndex((f) => f.endsWith('_dual_stack_ipv6'));
    expect(at).toBeGreaterThan(0);
    const before = join(dir, 'before');
    for (const f of folders.slice(0, at)) cpSync(join(MIGRATIONS_DIR, f), join(before, f), { recursive: true });
    const client = createClient({ url: `file:${join(dir, 'weft.db')}` });
    try {
      await migrate(drizzle({ client }), { migrationsFolder: before });
      const vnis = [1, 0x1092, 0xffff, 0x10000, 0x2e0000, 0xffffff];
      for (const [i, vni] of vnis.entries()) {
        await client.execute({ sql: 'insert into projects (id, name, created_at) values (?, ?, 0)', args: [`prj-${i}`, `p${i}`] });
        await client.execute({
          sql: `insert into networks (id, project_id, vni, cidr, gateway, dns_ttl, ip_cursor, created_at) values (?, ?, ?, '10.240.0.0/22', '10.240.0.1', 5, 1, 0)`,
          args: [`pn-${i}`, `prj-${i}`, vni],
        });
      }
      await migrate(drizzle({ client }), { migrationsFolder: MIGRATIONS_DIR });
      const rows = (await client.execute('select vni, ipv6, ipv6_cidr from networks order by vni')).rows.map((r) => [r.vni, r.ipv6, r.ipv6_cidr]);
      expect(rows).toEqual([
        [1, 'ON', 'fd77:6674:0:1::/64'],
        [0x1092, 'ON', 'fd77:6674:0:1092::/64'],
        [0xffff, 'ON', 'fd77:6674:0:ffff::/64'],
        [0x10000, 'ON', 'fd77:6674:1::/64'],
        [0x2e0000, 'ON', 'fd77:6674:2e::/64'],
        [0xffffff, 'ON', 'fd77:6674:ff:ffff::/64'],
      ]);
      expect(rows.map((r) => r[2])).toEqual(vnis.map(ulaOfVni));
    } finally {
      client.close();
    }
  });
});
