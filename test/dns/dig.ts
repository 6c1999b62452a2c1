// Runs the real `dig` (optionally inside a namespace) and parses what it printed.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface DigResult {
  status: string; // NOERROR, NXDOMAIN, … or "TIMEOUT"
  flags: string[];
  answer: string[]; // zone-file lines, whitespace collapsed
  authority: string[];
  raw: string;
}

/**
 * `dig @server -p port name type …extra` with sections printed; `netns` runs it via `ip netns exec`.
 * Never throws for DNS failures: a timeout is status TIMEOUT.
 */
export async function dig(server: string, port: number, name: string, type = 'A', extra: string[] = [], netns?: string): Promise<DigResult> {
  const argv = [`@${server}`, '-p', String(port), name, type, '+noall', '+comments', '+answer', '+authority', '+time=2', '+tries=1', ...extra];
  const [cmd, args] = netns ? ['ip', ['netns', 'exec', netns, 'dig', ...argv]] : ['dig', argv];
  let raw: string;
  try {
    raw = (await run(cmd, args as string[], { env: { ...process.env, LC_ALL: 'C' } })).stdout;
  } catch (err) {
    raw = String((err as { stdout?: string }).stdout ?? err);
  }
  return parseDig(raw);
}

/** Parses dig's +comments output into status, flags and sections. */
export function parseDig(raw: string): DigResult {
  const status = /status: (\w+)/.exec(raw)?.[1] ?? (/timed out|no servers could be reached/.test(raw) ? 'TIMEOUT' : 'UNKNOWN');
  const flags = (/;; flags: ([a-z ]*);/.exec(raw)?.[1] ?? '').trim().split(/\s+/).filter(Boolean);
  const answer: string[] = [];
  const authority: string[] = [];
  let section: string[] | null = null;
  for (const line of raw.split('\n')) {
    if (line.startsWith(';; ') && line.includes(' SECTION:')) {
      section = line.startsWith(';; ANSWER') ? answer : line.startsWith(';; AUTHORITY') ? authority : null;
    } else if (line.trim() && !line.startsWith(';')) {
      section?.push(line.trim().replace(/\s+/g, ' '));
    }
  }
  return { status, flags, answer, authority, raw };
}
