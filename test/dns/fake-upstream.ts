// A tiny upstream resolver on loopback for forwarding tests: never a real outside resolver.
import dgram from 'node:dgram';
import net from 'node:net';
import dnsPacket, { type Answer } from 'dns-packet';

export interface FakeUpstream {
  address: string;
  port: number;
  udpQueries: number;
  tcpQueries: number;
  close(): Promise<void>;
}

/** TXT data of `big.example.test`: over 512 bytes, so UDP without EDNS truncates. */
export const BIG_TXT = 'x'.repeat(200);

function reply(msg: Buffer, overUdp: boolean): Buffer | null {
  let q: dnsPacket.DecodedPacket;
  try {
    q = dnsPacket.decode(msg);
  } catch {
    return null;
  }
  const question = q.questions?.[0];
  if (!question) return null;
  const name = question.name.toLowerCase();
  const answers: Answer[] = [];
  if (name === 'example.test' && question.type === 'A') answers.push({ name: question.name, type: 'A', ttl: 60, data: '192.0.2.10' });
  if (name === 'big.example.test' && question.type === 'TXT')
    for (let i = 0; i < 4; i++) answers.push({ name: question.name, type: 'TXT', ttl: 60, data: `${i}${BIG_TXT}` });
  const rcode = answers.length || name.endsWith('example.test') ? 0 : 3;
  const full = dnsPacket.encode({
    type: 'response',
    id: q.id,
    flags: dnsPacket.RECURSION_AVAILABLE | ((q.flags ?? 0) & dnsPacket.RECURSION_DESIRED) | rcode,
    questions: q.questions,
    answers,
  });
  if (overUdp && full.length > 512) {
    return dnsPacket.encode({ type: 'response', id: q.id, flags: dnsPacket.TRUNCATED_RESPONSE | dnsPacket.RECURSION_AVAILABLE, questions: q.questions });
  }
  return full;
}

/** Starts the fake upstream on `address` (a 127.0.0.x) on a free port, UDP and TCP. */
export async function startFakeUpstream(address = '127.0.0.1'): Promise<FakeUpstream> {
  // A free UDP port may be taken on TCP by another suite running in parallel: try again.
  let udp: dgram.Socket, tcp: net.Server, port: number;
  for (let attempt = 0; ; attempt++) {
    udp = dgram.createSocket('udp4');
    await new Promise<void>((r) => udp.bind(0, address, () => r()));
    port = udp.address().port;
    tcp = net.createServer();
    const ok = await new Promise<boolean>((r) => {
      tcp.once('error', () => r(false));
      tcp.listen(port, address, () => r(true));
    });
    if (ok) break;
    udp.close();
    if (attempt >= 10) throw new Error('fake upstream: no port free on both UDP and TCP');
  }
  const state: FakeUpstream = {
    address,
    port,
    udpQueries: 0,
    tcpQueries: 0,
    close: async () => {
      udp.close();
      await new Promise((r) => tcp.close(r));
    },
  };
  udp.on('message', (msg, rinfo) => {
    state.udpQueries++;
    const out = reply(msg, true);
    if (out) udp.send(out, rinfo.port, rinfo.address);
  });
  tcp.on('connection', (s) => {
    let buf = Buffer.alloc(0);
    s.on('error', () => undefined);
    s.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const msg = buf.subarray(2, 2 + buf.readUInt16BE(0));
        buf = buf.subarray(2 + msg.length);
        state.tcpQueries++;
        const out = reply(msg, false);
        if (out) {
          const len = Buffer.alloc(2);
          len.writeUInt16BE(out.length);
          s.write(Buffer.concat([len, out]));
        }
      }
    });
  });
  return state;
}
