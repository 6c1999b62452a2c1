/**
 * A process of raw simulated hosts (bench/sse-consumer.ts), started by bench/consumers.ts with an
 * IPC channel, so that their CPU is their own: neither the bench driver's nor the API's. It starts
 * one consumer per host it is given, says when every one of them is subscribed, and answers
 * readings (byte tally, counters, and the commit→applied samples since the previous reading).
 */
import { Agent } from 'node:http';
import { type ConsumerShared, type Reading, startConsumer } from './sse-consumer.ts';

export type ToChild =
  | {
      type: 'start';
      url: string;
      hosts: { hostId: string; token: string }[];
      reportDebounceMs: number;
      heartbeatMs: number;
      legacyWatch?: boolean;
      reportRoute?: boolean;
      reportPasses?: boolean;
    }
  | { type: 'read'; id: number }
  | { type: 'stop' };

export type FromChild = { type: 'ready'; ready: number } | ({ type: 'reading'; id: number } & Reading);

const send = (message: FromChild) => process.send?.(message);
let shared: ConsumerShared | null = null;
const stops: (() => void)[] = [];

process.on('message', (message: ToChild) => {
  if (message.type === 'start') {
    const agent = new Agent({ keepAlive: true, maxSockets: Number.POSITIVE_INFINITY });
    shared = {
      url: new URL('/graphql', message.url),
      agent,
      tally: {},
      samples: [],
      changes: 0,
      lists: 0,
      reconnects: 0,
      reports: 0,
      errors: [],
      reportDebounceMs: message.reportDebounceMs,
      heartbeatMs: message.heartbeatMs,
      legacyWatch: message.legacyWatch,
      reportRoute: message.reportRoute,
      reportPasses: message.reportPasses,
    };
    let ready = 0;
    const s = shared;
    if (!message.hosts.length) send({ type: 'ready', ready }); // a step with no watching host (the commit cost alone)
    message.hosts.forEach((h, i) => {
      // staggered by 2 ms: the set-up's 1,000 snapshots are queued by the API, not measured
      setTimeout(() => stops.push(startConsumer(s, h.hostId, h.token, () => ++ready === message.hosts.length && send({ type: 'ready', ready }))), i * 2);
    });
  } else if (message.type === 'read' && shared) {
    const { tally, samples, changes, lists, reconnects, reports, errors } = shared;
    send({ type: 'reading', id: message.id, tally, samples, changes, lists, reconnects, reports, errors });
    shared.samples = [];
  } else if (message.type === 'stop') {
    for (const stop of stops) stop();
    shared?.agent.destroy();
    process.disconnect?.();
    setTimeout(() => process.exit(0), 100).unref();
  }
});
process.on('disconnect', () => process.exit(0)); // the bench went away
