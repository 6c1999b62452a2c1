/**
 * Traffic probes run INSIDE a namespace by plain Node 24 (type stripping, no imports outside
 * `node:`): `ip netns exec <ns> node lab/probe.ts <command> …`. One process does what would take
 * dozens of `nc`/`dig` runs, so the e2e matrices stay fast on a 2-core machine. Every address it is
 * given is inside the lab's namespaces; it never picks one itself.
 *
 *   serve <label> <ip> <port>                  TCP and UDP echo: answers "<label>:<payload>", prints {proto, from, payload}
 *   matrix <port> <ip,ip,…>                    TCP and UDP to each ip; prints {ip: {tcp, udp}} (label or null)
 *   first-syn <ip> <port> <timeout-ms>         prints ready, waits for a line on stdin, then opens one TCP connection that
 *                                              must succeed within timeout-ms (below the kernel's 1 s SYN retransmission,
 *                                              so only the first SYN counts); prints {connected, ms}
 *   listen-bcast <port> <group> <local-ip>     prints every UDP datagram (broadcast or multicast) received
 *   send-bcast <port> <bcast> <group> <local-ip> <payload>   sends to the broadcast address and the group
 *   vxlan <dst-ip> <vni> <dst-mac> <src-mac> <src-ip> <inner-dst-ip> <port> <payload>   crafted VXLAN frames to <dst-ip>:4789
 *   dns-wait <server> <name> <timeout-ms>      polls an A query every 5 ms; prints {answeredAt} (epoch ms) or {answeredAt: null}
 *   dns-loop <server> <name,name,…> <interval-ms>  queries every name each interval until SIGTERM/SIGINT; prints {sent, answered, failed, maxMs}
 *   dns-watch <server>                         for each stdin line `<name> <ip> [<ttl>]` (or `<name> -`: no address), queries
 *                                              about every millisecond, one query in flight, until the answer is that address (or
 *                                              none), with that TTL when given; prints {name, at} with `at` in epoch ms to the
 *                                              microsecond, then waits for the next line
 *   request-loop <server> <name> <port> <interval-ms>  a client of a service name: resolves it (caching
 *                                              the answer for its TTL, as a stub resolver does), sends one TCP request to one of its
 *                                              addresses each interval until SIGTERM; prints {sent, ok, failed, failures}
 *   stream-serve <ip> <port>                   TCP echo that keeps each connection open (echoes every byte back)
 *   stream <ip> <port> <interval-ms>           ONE TCP connection for its whole life: writes a numbered line each interval and
 *                                              checks each echo comes back in order, until SIGTERM; prints {sent, echoed, inOrder, error}
 */
import { createSocket } from 'node:dgram';
import { connect, createServer } from 'node:net';

const [command, ...args] = process.argv.slice(2);
const out = (value: unknown) => process.stdout.write(`${typeof value === 'string' ? value : JSON.stringify(value)}\n`);

function serve(label: string, ip: string, port: number): void {
  createServer((sock) =>
    sock.on('data', (d) => {
      out({ proto: 'tcp', from: sock.remoteAddress, payload: d.toString().trim() });
      sock.end(`${label}:${d.toString().trim()}\n`);
    }),
  ).listen(port, ip);
  const udp = createSocket(udpType(ip));
  udp.on('message', (msg, from) => {
    out({ proto: 'udp', from: from.address, payload: msg.toString().trim() });
    udp.send(`${label}:${msg.toString().trim()}\n`, from.port, from.address);
  });
  udp.bind(port, ip, () => out('ready'));
}

function tcpProbe(ip: string, port: number): Promise<string | null> {
  return new Promise((resolve) => {
    let got = '';
    const sock = connect({ host: ip, port, timeout: 1500 }, () => sock.write('probe\n'));
    sock.on('data', (d) => (got += d));
    sock.on('timeout', () => sock.destroy());
    sock.on('error', () => {});
    sock.on('close', () => resolve(got ? got.split(':')[0] : null));
  });
}

function firstSyn(ip: string, port: number, timeoutMs: number): void {
  process.stdin.once('data', () => {
    const t0 = performance.now();
    const sock = connect({ host: ip, port });
    const done = (connected: boolean) => {
      clearTimeout(timer);
      sock.destroy();
      out({ connected, ms: Math.round(performance.now() - t0) });
      process.exit(0);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    sock.once('connect', () => done(true));
    sock.on('error', () => done(false));
  });
  out('ready');
}

/** The UDP socket type for an address: IPv6 for the dual-stack matrix, else IPv4. */
const udpType = (ip: string) => (ip.includes(':') ? 'udp6' : 'udp4');

function udpProbe(ip: string, port: number): Promise<string | null> {
  return new Promise((resolve) => {
    const sock = createSocket(udpType(ip));
    let tries = 0;
    const send = () => (tries++ < 3 ? sock.send('probe\n', port, ip, () => {}) : finish(null));
    const timer = setInterval(send, 400);
    const finish = (label: string | null) => {
      clearInterval(timer);
      sock.close();
      resolve(label);
    };
    sock.on('message', (msg) => finish(msg.toString().split(':')[0]));
    sock.on('error', () => {});
    send();
  });
}

async function matrix(port: number, ips: string[]): Promise<void> {
  const result: Record<string, { tcp: string | null; udp: string | null }> = {};
  await Promise.all(ips.map(async (ip) => (result[ip] = { tcp: await tcpProbe(ip, port), udp: await udpProbe(ip, port) })));
  out(result);
}

function listenBcast(port: number, group: string, localIp: string): void {
  const sock = createSocket({ type: 'udp4', reuseAddr: true });
  sock.on('message', (msg, from) => out({ from: from.address, payload: msg.toString() }));
  sock.bind(port, '0.0.0.0', () => {
    sock.addMembership(group, localIp);
    out('ready');
  });
}

function sendBcast(port: number, bcast: string, group: string, localIp: string, payload: string): void {
  const sock = createSocket('udp4');
  sock.bind(0, localIp, async () => {
    sock.setBroadcast(true);
    sock.setMulticastInterface(localIp);
    sock.setMulticastTTL(1);
    for (let i = 0; i < 3; i++) {
      await new Promise((r) => sock.send(`${payload}/broadcast`, port, bcast, r));
      await new Promise((r) => sock.send(`${payload}/multicast`, port, group, r));
      await new Promise((r) => setTimeout(r, 50));
    }
    sock.close();
    out({ sent: 6 });
  });
}

const mac = (text: string) => Buffer.from(text.split(':').map((h) => parseInt(h, 16)));
const ip4 = (text: string) => Buffer.from(text.split('.').map(Number));

function checksum(buf: Buffer): number {
  let sum = 0;
  for (let i = 0; i < buf.length; i += 2) sum += buf.readUInt16BE(i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/** VXLAN header + Ethernet + IPv4 + UDP (checksum 0) carrying `payload` to innerDst:port. */
function vxlanFrame(vni: number, dstMac: string, srcMac: string, srcIp: string, dstIp: string, port: number, payload: string): Buffer {
  const data = Buffer.from(`${payload}\n`);
  const udp = Buffer.alloc(8);
  udp.writeUInt16BE(40_000, 0);
  udp.writeUInt16BE(port, 2);
  udp.writeUInt16BE(8 + data.length, 4);
  const ip = Buffer.alloc(20);
  ip.writeUInt8(0x45, 0);
  ip.writeUInt16BE(20 + 8 + data.length, 2);
  ip.writeUInt8(64, 8); // TTL
  ip.writeUInt8(17, 9); // UDP
  ip4(srcIp).copy(ip, 12);
  ip4(dstIp).copy(ip, 16);
  ip.writeUInt16BE(checksum(ip), 10);
  const eth = Buffer.concat([mac(dstMac), mac(srcMac), Buffer.from([0x08, 0x00])]);
  const vxlan = Buffer.alloc(8);
  vxlan.writeUInt8(0x08, 0); // "VNI present"
  vxlan.writeUIntBE(vni, 4, 3);
  return Buffer.concat([vxlan, eth, ip, udp, data]);
}

function injectVxlan(dst: string, vni: number, dstMac: string, srcMac: string, srcIp: string, innerDst: string, port: number, payload: string): void {
  const sock = createSocket('udp4');
  const frame = vxlanFrame(vni, dstMac, srcMac, srcIp, innerDst, port, payload);
  let sent = 0;
  const next = () => (sent++ < 5 ? sock.send(frame, 4789, dst, () => setTimeout(next, 50)) : (sock.close(), out({ sent: 5, bytes: frame.length })));
  next();
}

/** A DNS query for `name` (A, RD) with id `id`. */
function query(id: number, name: string): Buffer {
  const labels = name
    .replace(/\.$/, '')
    .split('.')
    .map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)]));
  const header = Buffer.from([id >> 8, id & 0xff, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]);
  return Buffer.concat([header, ...labels, Buffer.from([0, 0, 1, 0, 1])]);
}

function dnsWait(server: string, name: string, timeoutMs: number): void {
  const sock = createSocket('udp4');
  let id = 0;
  const deadline = Date.now() + timeoutMs;
  const timer = setInterval(() => {
    if (Date.now() > deadline) return finish(null);
    sock.send(query(++id & 0xffff, name), 53, server);
  }, 5);
  const finish = (at: number | null) => {
    clearInterval(timer);
    sock.close();
    out({ answeredAt: at });
  };
  sock.on('message', (msg) => {
    if ((msg[3] & 0x0f) === 0 && msg.readUInt16BE(6) > 0) finish(Date.now());
  });
  sock.bind(0, () => out('ready'));
}

function dnsLoop(server: string, name: string, intervalMs: number): void {
  const sock = createSocket('udp4');
  const pending = new Map<number, number>();
  let id = 0;
  let sent = 0;
  let answered = 0;
  let failed = 0;
  let maxMs = 0;
  const names = name.split(',');
  const timer = setInterval(() => {
    const now = Date.now();
    for (const [qid, at] of pending) if (now - at > 1000) pending.delete(qid), failed++;
    for (const n of names) {
      id = (id + 1) & 0xffff;
      pending.set(id, now);
      sent++;
      sock.send(query(id, n), 53, server);
    }
  }, intervalMs);
  sock.on('message', (msg) => {
    const at = pending.get(msg.readUInt16BE(0));
    if (at === undefined) return;
    pending.delete(msg.readUInt16BE(0));
    if ((msg[3] & 0x0f) === 0 && msg.readUInt16BE(6) > 0) answered++;
    else failed++;
    maxMs = Math.max(maxMs, Date.now() - at);
  });
  const stop = () => {
    clearInterval(timer);
    setTimeout(() => {
      failed += pending.size;
      out({ sent, answered, failed, maxMs });
      process.exit(0);
    }, 1000);
  };
  process.on('SIGTERM', stop).on('SIGINT', stop);
  sock.bind(0, () => out('ready'));
}

/** The A records and smallest TTL of a response (answers to one question, names compressed). */
function parseA(msg: Buffer): { ips: string[]; ttl: number } {
  let off = 12;
  const skipName = () => {
    while (msg[off] !== 0) {
      if ((msg[off] & 0xc0) === 0xc0) return void (off += 2);
      off += msg[off] + 1;
    }
    off += 1;
  };
  skipName();
  off += 4; // question type and class
  const ips: string[] = [];
  let ttl = Number.POSITIVE_INFINITY;
  for (let i = 0; i < msg.readUInt16BE(6); i++) {
    skipName();
    const type = msg.readUInt16BE(off);
    const rttl = msg.readUInt32BE(off + 4);
    const len = msg.readUInt16BE(off + 8);
    off += 10;
    if (type === 1 && len === 4) {
      ips.push([...msg.subarray(off, off + 4)].join('.'));
      ttl = Math.min(ttl, rttl);
    }
    off += len;
  }
  return { ips, ttl: Number.isFinite(ttl) ? ttl : 0 };
}

/** Epoch milliseconds with sub-millisecond precision (Date.now() has whole milliseconds). */
const epochMs = () => performance.timeOrigin + performance.now();

function dnsWatch(server: string): void {
  const sock = createSocket('udp4');
  let want: { name: string; ip: string | null; ttl: number | null } | null = null;
  let id = 0;
  let retry: NodeJS.Timeout | null = null;
  const ask = () => {
    if (!want) return;
    id = (id + 1) & 0xffff;
    sock.send(query(id, want.name), 53, server);
    if (retry) clearTimeout(retry);
    retry = setTimeout(ask, 100); // a lost datagram
  };
  sock.on('message', (msg) => {
    if (!want || msg.readUInt16BE(0) !== id) return;
    if (retry) clearTimeout(retry);
    const { ips, ttl } = (msg[3] & 0x0f) === 0 ? parseA(msg) : { ips: [], ttl: 0 };
    if (want.ip === null ? ips.length === 0 : ips.includes(want.ip) && (want.ttl === null || ttl === want.ttl)) {
      out({ name: want.name, at: epochMs() });
      want = null;
    } else retry = setTimeout(ask, 1);
  });
  let buffered = '';
  process.stdin.on('data', (d) => {
    buffered += d;
    for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
      const [name, ip, ttl] = buffered.slice(0, nl).trim().split(' ');
      buffered = buffered.slice(nl + 1);
      want = { name, ip: ip === '-' ? null : ip, ttl: ttl === undefined ? null : Number(ttl) };
      ask();
    }
  });
  sock.bind(0, () => out('ready'));
}

function requestLoop(server: string, name: string, port: number, intervalMs: number): void {
  const sock = createSocket('udp4');
  let cache: { ips: string[]; until: number } | null = null;
  let resolving: Promise<string[]> | null = null;
  let id = 0;
  let sent = 0;
  let ok = 0;
  let failed = 0;
  const failures: string[] = [];
  const waiting = new Map<number, (ips: string[]) => void>();
  sock.on('message', (msg) => {
    const done = waiting.get(msg.readUInt16BE(0));
    if (!done) return;
    waiting.delete(msg.readUInt16BE(0));
    const { ips, ttl } = parseA(msg);
    cache = { ips, until: Date.now() + ttl * 1000 };
    done(ips);
  });
  const resolve = (): Promise<string[]> => {
    if (cache && Date.now() < cache.until) return Promise.resolve(cache.ips);
    resolving ??= new Promise<string[]>((res) => {
      id = (id + 1) & 0xffff;
      const qid = id;
      waiting.set(qid, res);
      sock.send(query(qid, name), 53, server);
      setTimeout(() => waiting.delete(qid) && res([]), 1000);
    }).finally(() => (resolving = null));
    return resolving;
  };
  const fail = (why: string) => {
    failed++;
    if (failures.length < 20) failures.push(`${new Date().toISOString()} ${why}`);
  };
  let turn = 0;
  const timer = setInterval(async () => {
    sent++;
    const ips = await resolve();
    if (!ips.length) return fail('no address');
    const ip = ips[turn++ % ips.length];
    const label = await tcpProbe(ip, port);
    if (label) ok++;
    else fail(`no answer from ${ip}`);
  }, intervalMs);
  const stop = () => {
    clearInterval(timer);
    setTimeout(() => {
      out({ sent, ok, failed, failures });
      process.exit(0);
    }, 2000);
  };
  process.on('SIGTERM', stop).on('SIGINT', stop);
  sock.bind(0, () => out('ready'));
}

function streamServe(ip: string, port: number): void {
  createServer((sock) => {
    sock.on('error', () => {});
    sock.pipe(sock);
  }).listen(port, ip, () => out('ready'));
}

function stream(ip: string, port: number, intervalMs: number): void {
  let sent = 0;
  let echoed = 0;
  let inOrder = true;
  let error: string | null = null;
  let buffer = '';
  let timer: NodeJS.Timeout | null = null;
  const sock = connect({ host: ip, port }, () => {
    sock.setNoDelay(true);
    timer = setInterval(() => sock.write(`${++sent}\n`), intervalMs);
    out('ready');
  });
  sock.on('data', (d) => {
    buffer += d;
    const lines = buffer.split('\n');
    buffer = lines.pop()!;
    for (const line of lines) if (Number(line) !== ++echoed) inOrder = false;
  });
  sock.on('error', (e) => (error ??= (e as NodeJS.ErrnoException).code ?? e.message));
  sock.on('close', () => (error ??= 'closed'));
  process.on('SIGTERM', () => {
    if (timer) clearInterval(timer);
    setTimeout(() => {
      out({ sent, echoed, inOrder, error });
      process.exit(0);
    }, 1000); // the last echoes
  });
}

switch (command) {
  case 'serve':
    serve(args[0], args[1], Number(args[2]));
    break;
  case 'matrix':
    void matrix(Number(args[0]), args[1].split(','));
    break;
  case 'first-syn':
    firstSyn(args[0], Number(args[1]), Number(args[2]));
    break;
  case 'listen-bcast':
    listenBcast(Number(args[0]), args[1], args[2]);
    break;
  case 'send-bcast':
    sendBcast(Number(args[0]), args[1], args[2], args[3], args[4]);
    break;
  case 'vxlan':
    injectVxlan(args[0], Number(args[1]), args[2], args[3], args[4], args[5], Number(args[6]), args[7]);
    break;
  case 'dns-wait':
    dnsWait(args[0], args[1], Number(args[2]));
    break;
  case 'dns-loop':
    dnsLoop(args[0], args[1], Number(args[2]));
    break;
  case 'dns-watch':
    dnsWatch(args[0]);
    break;
  case 'request-loop':
    requestLoop(args[0], args[1], Number(args[2]), Number(args[3]));
    break;
  case 'stream-serve':
    streamServe(args[0], Number(args[1]));
    break;
  case 'stream':
    stream(args[0], Number(args[1]), Number(args[2]));
    break;
  default:
    process.stderr.write(`unknown probe command ${command}\n`);
    process.exit(2);
}
