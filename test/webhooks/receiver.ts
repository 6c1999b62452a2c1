/**
 * A real webhook receiver on 127.0.0.1 for tests: verifies every request with the stock
 * `standardwebhooks` verifier (against every secret in `secrets`), records it, and answers what
 * `respond` says — a status code, or 'hang' to hold the request open until the receiver closes.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { Webhook } from 'standardwebhooks';

export interface Received {
  id: string;
  revision: number;
  type: string;
  body: {
    type: string;
    timestamp: string;
    data: { revision: number; projectId: string | null; networkId: string | null; hostId: string | null; payload: Record<string, unknown> };
  };
  headers: Record<string, string>;
  /** Which secrets verified the request (index into `secrets`). */
  verifiedWith: number[];
  status: number | 'hang';
  /** How many times this webhook-id had been received before, including this one. */
  seen: number;
}

export interface Receiver {
  url: string;
  secrets: string[];
  received: Received[];
  /** Requests that failed verification (must stay empty). */
  rejected: { headers: Record<string, string>; reason: string }[];
  respond: (message: Received) => number | 'hang';
  /** Resolves once `predicate` holds over `received` (polls every 20 ms). */
  until(predicate: (received: Received[]) => boolean, timeoutMs?: number): Promise<void>;
  /** Successful (2xx) revisions in arrival order. */
  delivered(): number[];
  close(): Promise<void>;
}

const readBody = (req: IncomingMessage) =>
  new Promise<string>((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });

export async function startReceiver(respond: Receiver['respond'] = () => 204): Promise<Receiver> {
  const sockets = new Set<Socket>();
  const seen = new Map<string, number>();
  const receiver: Receiver = {
    url: '',
    secrets: [],
    received: [],
    rejected: [],
    respond,
    async until(predicate, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      while (!predicate(receiver.received)) {
        if (Date.now() > deadline)
          throw new Error(
            `receiver: condition not met in ${timeoutMs} ms; got ${JSON.stringify(receiver.received.map((r) => [r.revision, r.type, r.status]))}`,
          );
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    delivered: () => receiver.received.filter((r) => typeof r.status === 'number' && r.status < 300).map((r) => r.revision),
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
  const server = createServer(async (req, res) => {
    const text = await readBody(req);
    const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
    const verifiedWith = receiver.secrets.flatMap((secret, i) => {
      try {
        new Webhook(secret).verify(text, headers);
        return [i];
      } catch {
        return [];
      }
    });
    if (!verifiedWith.length) {
      receiver.rejected.push({ headers, reason: 'no secret verified the signature' });
      res.writeHead(400).end();
      return;
    }
    const body = JSON.parse(text) as Received['body'];
    const id = headers['webhook-id'];
    seen.set(id, (seen.get(id) ?? 0) + 1);
    const message: Received = { id, revision: body.data.revision, type: body.type, body, headers, verifiedWith, status: 0, seen: seen.get(id)! };
    message.status = receiver.respond(message);
    receiver.received.push(message);
    if (message.status !== 'hang') res.writeHead(message.status).end();
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`;
  return receiver;
}
