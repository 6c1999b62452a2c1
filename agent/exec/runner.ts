/**
 * The one seam through which the agent runs kernel commands (STYLE habit 2): every `ip`,
 * `bridge`, `nft`, `sysctl` and `nsenter` of the observer and the reconciler, and the `wg genkey` /
 * `wg pubkey` of enrolment.
 *
 * Owns: execFile with an argv array (never a shell), LC_ALL=C (so error texts are stable and
 * parseable), stdin for `-batch -` / `nft -f -`, and errors that carry argv + stderr.
 * Never: interprets output — callers parse it. Never logs stdin: it may hold key material paths.
 * With `sessions`, sandbox write batches go to long-lived `ip`/`bridge -batch` and `nft -i` processes (see
 * BatchSessions below); every other command is still a process of its own.
 * A command prefix (e.g. `nsenter --net=<host-ns path>`) lets tests run a whole agent inside a
 * simulated host namespace with the real runner.
 *
 * Not the only code that spawns. Three DNS modules start Node children this interface cannot
 * express, because a run here is "argv + stdin in, stdout + stderr out, then the child is gone":
 * - agent/dns/netns-bind.ts starts bind-helper.ts under `ip netns exec` and receives the UDP and
 *   TCP sockets it binds over an IPC channel (a socket handle cannot travel through stdout);
 * - agent/dns/launch.ts starts daemon.ts detached, in its own session, so it outlives the agent;
 * - agent/dns/upgrade.ts starts the successor daemon detached with an IPC channel and hands it
 *   every network's sockets.
 * None of them changes kernel state; nothing else in agent/ spawns.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { nftOneLine } from './nft-line';

/** What a command printed. */
export interface RunResult {
  stdout: string;
  stderr: string;
}

/** Options of one run. */
export interface RunOptions {
  stdin?: string;
}

/** The side-effect seam: the reconciler, the observer and enrolment only talk to this. */
export interface CommandRunner {
  run(argv: string[], opts?: RunOptions): Promise<RunResult>;
}

/** A failed command: exit code, argv and stderr, so every error says what was run and why it failed. */
export class CommandError extends Error {
  constructor(
    readonly argv: string[],
    readonly code: number | string | null,
    readonly stdout: string,
    readonly stderr: string,
  ) {
    super(`${argv.join(' ')}: exit ${code}: ${stderr.trim().split('\n').slice(0, 6).join(' | ') || '(no stderr)'}`);
    this.name = 'CommandError';
  }
}

/** Options of the real runner. */
export interface ExecRunnerOptions {
  /**
   * Prepended to every argv, e.g. ['nsenter', '--net=/run/netns/w1host']. Use nsenter, not
   * `ip netns exec`: the latter runs in a private mount namespace, so `ip netns add` inside it
   * creates a namespace file nobody else can enter.
   */
  prefix?: string[];
  timeoutMs?: number;
  /** Called once per command with its argv (not its stdin); used for counting and debug logs. */
  onRun?: (argv: string[]) => void;
  /**
   * Keep one `ip|bridge -n <sandbox> -force -batch -` and one `ip netns exec <sandbox> nft -i` process
   * per namespace alive and feed it
   * (batch sessions, below) instead of starting one per command; closed after `idleMs` unused.
   */
  sessions?: { idleMs?: number };
}

/** Creates the real runner (execFile, LC_ALL=C, 32 MiB output cap for large `-j` dumps). */
export function createExecRunner(opts: ExecRunnerOptions = {}): CommandRunner {
  const prefix = opts.prefix ?? [];
  const sessions = opts.sessions ? new BatchSessions(prefix, opts.sessions.idleMs ?? 5000, opts.timeoutMs ?? 60_000) : null;
  return {
    run(argv, runOpts = {}) {
      const full = [...prefix, ...argv];
      opts.onRun?.(full);
      if (sessions && runOpts.stdin !== undefined) {
        const routed = sessions.route(argv, runOpts.stdin);
        if (routed) return routed.session.run(argv, routed.text);
      }
      return new Promise((resolve, reject) => {
        const child = execFile(
          full[0],
          full.slice(1),
          { env: { ...process.env, LC_ALL: 'C' }, maxBuffer: 32 << 20, timeout: opts.timeoutMs ?? 60_000, encoding: 'utf8' },
          (err, stdout, stderr) => {
            if (err) {
              const code = (err as NodeJS.ErrnoException & { code?: number | string }).code ?? null;
              reject(new CommandError(full, code, stdout ?? '', stderr || err.message));
            } else resolve({ stdout, stderr });
          },
        );
        // Always close stdin: `-batch -` reads until EOF, and a command without input must not hang.
        child.stdin?.on('error', () => {}); // EPIPE when a command exits before reading: reported via exit code
        child.stdin?.end(runOpts.stdin ?? '');
      });
    },
  };
}

/** A sandbox batch command: `ip|bridge -n <ns> -force -batch -`, or a sandbox nft script `ip netns exec <ns> nft -f -`. */
const SESSION_ARGV = /^(?:(ip|bridge) -n (\S+) -force -batch -|ip netns exec (\S+) nft -f -)$/;
// A line that always fails, on stderr: iproute2's `Command failed -:<n>` says every line before it
// ran; nft echoes the failing line, so `wsentinel <seq>` on a line of its own closes run <seq>.
const SENTINEL = { ip: 'link show dev wsentinel0', bridge: 'fdb show dev wsentinel0' } as const;
type Tool = 'ip' | 'bridge' | 'nft';

/**
 * Batch sessions: starting a process costs 25–45 ms on a busy 2-core host (an `ip netns exec … nft`
 * 70–190 ms), more than the change it carries, so the fast path's few lines go to a long-lived
 * `ip`/`bridge -batch` or `nft -i` of their namespace.
 * iproute2 runs each line as it reads it and, with `-force`, reports a failed line on stderr as
 * `Command failed -:<n>` and goes on; a sentinel line that always fails marks the end of each run,
 * and line numbers are given back relative to the run, so apply.ts reads the errors as it would
 * from a process of its own.
 * nft: `nft -i` runs each line it reads as one transaction, so a run's whole script is sent as ONE
 * line (nftOneLine: still all-or-nothing, like `nft -f`), then `wsentinel <seq>`, which always fails
 * and is echoed on stderr; whatever nft printed on stderr before that echo is the run's error, and
 * the run fails with it as a CommandError (exit 1), as `nft -f -` would. A script nftOneLine cannot
 * prove safe runs as a process of its own. nft checks the ruleset's generation before each line, so
 * changes made by other processes between runs (observers, other `nft -f`) are seen.
 * Ownership: a session holds its namespace open, so any command that adds or deletes that
 * namespace closes it first, and an idle one is closed after `idleMs`; a session that dies fails
 * its run (the pass reports it and the next one is full); a run that hangs past the timeout kills it.
 */
class BatchSessions {
  private readonly open = new Map<string, BatchSession>();
  constructor(
    private readonly prefix: string[],
    private readonly idleMs: number,
    private readonly timeoutMs: number,
  ) {}

  /** The session for `argv` and the text to feed it, or null when it must run as a process of its own. */
  route(argv: string[], stdin: string): { session: BatchSession; text: string } | null {
    for (const m of stdin.matchAll(/^netns (?:add|del) (\S+)$/gm)) this.close(m[1]);
    const m = SESSION_ARGV.exec(argv.join(' '));
    if (!m) return null;
    const tool: Tool = m[1] === 'ip' || m[1] === 'bridge' ? m[1] : 'nft';
    const ns = m[2] ?? m[3];
    const text = tool === 'nft' ? nftOneLine(stdin) : stdin;
    if (text === null) return null;
    const key = `${tool} ${ns}`;
    let s = this.open.get(key);
    if (!s || s.dead) {
      const full = tool === 'nft' ? [...this.prefix, 'ip', 'netns', 'exec', ns, 'nft', '-i'] : [...this.prefix, ...argv];
      s = new BatchSession(full, tool, this.idleMs, this.timeoutMs, () => this.open.delete(key));
      this.open.set(key, s);
    }
    return { session: s, text };
  }

  private close(ns: string): void {
    for (const [key, s] of this.open) if (key.endsWith(` ${ns}`)) s.close();
  }
}

class BatchSession {
  dead = false;
  private readonly child: ChildProcess;
  private line = 0; // ip/bridge: lines written so far; nft: runs written so far (the sentinel's seq)
  private stderr = '';
  private waiter: { until: number; done: (text: string | null) => void } | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private idle: NodeJS.Timeout | null = null;

  constructor(
    full: string[],
    private readonly tool: Tool,
    private readonly idleMs: number,
    private readonly timeoutMs: number,
    private readonly onClose: () => void,
  ) {
    this.child = spawn(full[0], full.slice(1), { env: { ...process.env, LC_ALL: 'C' }, stdio: ['pipe', 'ignore', 'pipe'] });
    this.child.stdin!.on('error', () => {});
    this.child.stderr!.on('data', (d) => {
      this.stderr += d;
      const w = this.waiter;
      const end = w && this.endOf(w.until);
      if (w && end !== null) {
        const text = this.stderr.slice(0, end);
        this.stderr = this.stderr.slice(end);
        this.waiter = null;
        w.done(text);
      }
    });
    this.child.once('close', () => this.close()); // after stderr is read: a session that could not start says why
    this.child.once('error', () => this.close());
  }

  /** Runs `stdin`'s lines; rejects like a batch process would, line numbers relative to this run. */
  run(argv: string[], stdin: string): Promise<RunResult> {
    const next = this.queue.then(() => this.runNow(argv, stdin));
    this.queue = next.catch(() => undefined);
    return next;
  }

  close(): void {
    if (this.dead) return;
    this.dead = true;
    if (this.idle) clearTimeout(this.idle);
    this.onClose();
    this.child.stdin!.end();
    this.child.kill();
    this.waiter?.done(null);
    this.waiter = null;
  }

  /**
   * Where the sentinel of run `until` ends in the stderr read so far (null: not yet). ip/bridge:
   * after its `Command failed -:<until>` line. nft: after its echo `wsentinel <until>` and the caret
   * line under it (the `Error:` line before the echo is the sentinel's too, see runNow).
   */
  private endOf(until: number): number | null {
    if (this.tool !== 'nft') {
      const m = new RegExp(`^Command failed -:${until}\n`, 'm').exec(this.stderr);
      return m ? m.index + m[0].length : null;
    }
    const m = new RegExp(`^wsentinel ${until}\n[ ^~]*\^[ ^~]*\n`, 'm').exec(this.stderr);
    return m ? m.index + m[0].length : null;
  }

  private async runNow(argv: string[], stdin: string): Promise<RunResult> {
    if (this.idle) clearTimeout(this.idle);
    const lines = stdin.split('\n').filter((l) => l.trim());
    const offset = this.line;
    this.line += this.tool === 'nft' ? 1 : lines.length + 1;
    const sentinel = this.tool === 'nft' ? `wsentinel ${this.line}` : SENTINEL[this.tool];
    const text = this.dead
      ? null
      : await new Promise<string | null>((done) => {
          // Like a process of its own, a run that hangs is ended: the session is killed and the run fails.
          const timer = setTimeout(() => this.close(), this.timeoutMs);
          this.waiter = {
            until: this.line,
            done: (text) => {
              clearTimeout(timer);
              done(text);
            },
          };
          this.child.stdin!.write(`${[...lines, sentinel].join('\n')}\n`);
        });
    if (text === null) throw new CommandError(argv, null, '', `batch session ended${this.stderr.trim() ? `: ${this.stderr.trim()}` : ''}`);
    if (!this.dead) this.idle = setTimeout(() => this.close(), this.idleMs).unref();
    if (this.tool === 'nft') {
      // Everything before the sentinel's own `Error:` line (the last one before its echo) is this run's.
      const own = text.slice(0, text.lastIndexOf('Error:', text.lastIndexOf(`\n${sentinel}\n`) + 1)).trim();
      if (own) throw new CommandError(argv, 1, '', `${own}\n`);
      return { stdout: '', stderr: '' };
    }
    // Keep each failed line's message with its number, renumbered; drop the sentinel's.
    const out: string[] = [];
    let pending: string[] = [];
    for (const l of text.split('\n')) {
      const m = /^Command failed -:(\d+)$/.exec(l.trim());
      if (!m) {
        if (l.trim()) pending.push(l);
        continue;
      }
      const n = Number(m[1]) - offset;
      if (n >= 1 && n <= lines.length) out.push(...pending, `Command failed -:${n}`);
      pending = [];
    }
    if (out.length) throw new CommandError(argv, 1, '', `${out.join('\n')}\n`);
    return { stdout: '', stderr: '' };
  }
}
