/**
 * The API edge under structural attacks (issue 13): each attack of test/support/structural-attacks.ts
 * is sent anonymously, once to warm up and then three times, to a real API process over loopback, while /healthz is polled
 * every 20 ms. Prints the slowest refusal in server time (Server-Timing: from the request reaching
 * Hono to the answer) and the slowest /healthz answer, seen by the client, while the attacks ran.
 *
 *   npx tsx bench/edge.ts [--edge-timeout-ms 60000] [--edge-repeat 3] [--edge-only "fan-out"]
 *
 * `--edge-repeat 1` sends each attack once, without the warm-up (for an API that takes minutes).
 */
import { STRUCTURAL_ATTACKS } from '../test/support/structural-attacks.ts';
import { startBenchApi } from './api-process.ts';
import { type BenchRow, arg } from './table.ts';

const only = process.argv.includes('--edge-only') ? process.argv[process.argv.indexOf('--edge-only') + 1] : '';

/**
 * The server's time for one request, from its `Server-Timing: total;dur=` header (src/app.ts), or the
 * time to the answer when the server sends none (the API before issue 13); Infinity past the timeout.
 */
async function timed(url: string, init: RequestInit, timeoutMs: number): Promise<number> {
  const started = performance.now();
  try {
    const response = await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
    await response.arrayBuffer();
    const server = /total;dur=([\d.]+)/.exec(response.headers.get('server-timing') ?? '');
    return server ? Number(server[1]) : performance.now() - started;
  } catch (error) {
    console.error(`edge: no answer: ${(error as Error).name === 'TimeoutError' ? `timed out after ${timeoutMs} ms` : (error as Error).message}`);
    return Number.POSITIVE_INFINITY;
  }
}

/** The time to an answer of /healthz as the client sees it; Infinity when it timed out or failed. */
async function clientTime(url: string, timeoutMs: number): Promise<number> {
  const started = performance.now();
  try {
    await (await fetch(url, { signal: AbortSignal.timeout(timeoutMs) })).arrayBuffer();
  } catch {
    return Number.POSITIVE_INFINITY;
  }
  return performance.now() - started;
}

export async function benchEdge(): Promise<BenchRow[]> {
  const timeoutMs = arg('edge-timeout-ms', 60_000);
  const repeat = arg('edge-repeat', 3);
  const flags = process.argv.slice(2).flatMap((a, i, all) => (a.startsWith('--edge') ? [a, /\s/.test(all[i + 1]) ? `"${all[i + 1]}"` : all[i + 1]] : []));
  const command = ['npx tsx bench/edge.ts', ...flags].join(' ');
  const api = await startBenchApi();
  let polling = true;
  let worstHealth = 0;
  const poller = (async () => {
    while (polling) {
      worstHealth = Math.max(worstHealth, await clientTime(`${api.url}/healthz`, timeoutMs));
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  try {
    const times: { name: string; ms: number }[] = [];
    for (const attack of STRUCTURAL_ATTACKS.filter((a) => a.name.includes(only))) {
      const send = () => timed(`${api.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: attack.json }, timeoutMs);
      if (repeat > 1) await send(); // warm-up: the first request of a kind also compiles its code path
      let ms = 0;
      for (let i = 0; i < repeat && ms < timeoutMs; i++) ms = Math.max(ms, await send());
      times.push({ name: attack.name, ms });
      console.error(`edge: ${attack.name}: ${Number.isFinite(ms) ? `${ms.toFixed(1)} ms` : `> ${timeoutMs} ms (timed out)`}`);
    }
    polling = false;
    await poller;
    const worst = times.reduce((a, b) => (b.ms > a.ms ? b : a));
    const shown = (ms: number) => (Number.isFinite(ms) ? ms : timeoutMs);
    return [
      {
        part: 'edge',
        metric: `slowest structural-attack refusal, server time (${worst.name}; ${times.length} attacks × ${repeat})`,
        value: shown(worst.ms),
        unit: Number.isFinite(worst.ms) ? 'ms' : 'ms (timed out)',
        target: '≤ 50 ms',
        anchor: 'issue 13: 38 s before',
        command,
      },
      {
        part: 'edge',
        metric: 'slowest /healthz answer while the attacks ran',
        value: shown(worstHealth),
        unit: Number.isFinite(worstHealth) ? 'ms' : 'ms (no answer)',
        target: 'keeps answering',
        anchor: 'event loop never blocked',
        command,
      },
    ];
  } finally {
    polling = false;
    await poller;
    await api.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { toMarkdown } = await import('./table.ts');
  console.log(toMarkdown(await benchEdge()));
}
