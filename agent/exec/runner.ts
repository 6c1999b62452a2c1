/**
 * The one seam through which the agent runs short-lived commands (STYLE habit 2): every `ip`,
 * `bridge`, `nft`, `sysctl` and `nsenter` of the observer and the reconciler, and the `wg genkey` /
 * `wg pubkey` of enrolment.
 *
 * Owns: execFile with an argv array (never a shell), LC_ALL=C (so error texts are stable and
 * parseable), stdin for `-batch -` / `nft -f -`, and errors that carry argv + stderr.
 * Never: interprets output — callers parse it. Never logs stdin: it may hold key material paths.
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
import { execFile } from 'node:child_process';

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
}

/** Creates the real runner (execFile, LC_ALL=C, 32 MiB output cap for large `-j` dumps). */
export function createExecRunner(opts: ExecRunnerOptions = {}): CommandRunner {
  const prefix = opts.prefix ?? [];
  return {
    run(argv, runOpts = {}) {
      const full = [...prefix, ...argv];
      opts.onRun?.(full);
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
