import { describe, expect, it } from 'vitest';
import { makeNames } from '../config-names';
import { FakeHost } from '../exec/fake-host';
import { container, host, hostConfig, network } from '../../test/support/model';
import { createReconciler } from './reconciler';

describe('scale: a 1,000-remote-container snapshot', () => {
  it('is applied in a bounded number of batch calls, and the next pass is free', async () => {
    const hosts = Array.from({ length: 11 }, (_, i) => host(i + 1, `${String.fromCharCode(65 + i).repeat(43)}=`));
    const me = hosts[0];
    const remote = Array.from({ length: 1000 }, (_, i) =>
      container(`ctr-${(0xb0000000 + i).toString(16)}`, 'pn-big', hosts[1 + (i % 10)], `10.241.${(i + 2) >> 8}.${(i + 2) & 0xff}`),
    );
    const local = container('ctr-a0000001', 'pn-big', me, '10.241.0.1');
    const cfg = hostConfig(me, hosts, [network('pn-big', 300, [local, ...remote], '10.241.0.0/16', '10.241.0.254')]);
    const fake = new FakeHost({ privateKeys: { k: me.publicKey } });
    const names = makeNames({ prefix: 't9' });
    fake.addWgDevice(names.wg);
    fake.addContainerNs('/proc/1/ns/net');
    const rec = createReconciler({ runner: fake, names, wgMode: 'external', privateKeyPath: 'k', pathExists: () => true });
    const t0 = performance.now();
    const r = await rec.reconcile(cfg, { [local.id]: '/proc/1/ns/net' });
    const ms = performance.now() - t0;
    expect(r.failures).toEqual([]);
    expect(r.ops.filter((o) => o.kind === 'fdb.add')).toHaveLength(2001 + 10); // + one all-zeros remote per other host, not per container
    expect(r.commands).toBeLessThanOrEqual(10);
    const writes = fake.calls.filter((c) => !c.argv.includes('-j') && !(c.argv[1] === 'show'));
    expect(writes.length).toBeLessThanOrEqual(10);
    console.log(`1000 remote containers on the fake host: ${r.ops.length} ops in ${r.commands} commands, ${ms.toFixed(0)} ms`);
    const again = await rec.reconcile(cfg, { [local.id]: '/proc/1/ns/net' });
    expect(again.commands).toBe(0);
  });
});
