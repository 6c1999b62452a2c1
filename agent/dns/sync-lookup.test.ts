// The synchronous reply lookup: installed on the Node we run (a Node whose dgram internals differ
// fails here rather than silently losing ~10% of DNS throughput), and replies still arrive.
import dgram from 'node:dgram';
import { afterEach, expect, it } from 'vitest';
import { useSyncLookup } from './sync-lookup.ts';

const open: dgram.Socket[] = [];
afterEach(() => {
  for (const s of open.splice(0)) s.close();
});

async function bound(type: 'udp4' | 'udp6', address: string): Promise<dgram.Socket> {
  const s = dgram.createSocket(type);
  open.push(s);
  await new Promise<void>((resolve) => s.bind(0, address, resolve));
  return s;
}

it.each([
  ['udp4', '127.0.0.1'],
  ['udp6', '::1'],
] as const)('%s: installed, and a send to an IP literal is delivered', async (type, address) => {
  const server = await bound(type, address);
  const client = await bound(type, address);
  expect(useSyncLookup(server)).toBe(true);
  const got = new Promise<Buffer>((resolve) => client.once('message', resolve));
  server.send(Buffer.from('reply'), client.address().port, address);
  expect((await got).toString()).toBe('reply');
});

it('leaves a socket of unexpected shape alone', () => {
  expect(useSyncLookup({} as dgram.Socket)).toBe(false);
});
