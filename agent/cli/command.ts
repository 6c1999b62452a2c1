/**
 * One `weft-agent` subcommand: its usage text and what it does. main.ts holds the table of them;
 * each command lives in its own file beside this one.
 */
import { flagsToEnv } from '../config.ts';

/** Where a command prints (process.stdout/stderr, or a collector in tests). */
export interface Output {
  write(s: string): unknown;
}

export interface CommandIo {
  out: Output;
  err: Output;
  env: NodeJS.ProcessEnv;
}

export interface Command {
  /** One line for `weft-agent --help`. */
  summary: string;
  /** The full usage, printed by `weft-agent <command> --help`. */
  usage: string;
  /** Flags the command accepts (without `--`); any other flag is refused with exit 2. */
  flags: readonly string[];
  /** Flags that take no value. */
  switches?: readonly string[];
  run(positional: string[], io: CommandIo): Promise<number>;
}

/** Thrown for a bad command line: main.ts prints the message and the usage, and exits 2. */
export class UsageError extends Error {}

/**
 * Splits argv into positional arguments and WEFT_* environment overrides (`--api-url x` →
 * WEFT_API_URL=x; a switch `--wait` → WEFT_WAIT=1). Refuses flags the command does not know.
 */
export function parseArgs(cmd: Command, argv: string[]): { positional: string[]; env: Record<string, string> } {
  const positional: string[] = [];
  const env: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const m = /^--([a-z0-9-]+)(?:=(.*))?$/.exec(argv[i]);
    if (!m) {
      positional.push(argv[i]);
      continue;
    }
    const [, name, inline] = m;
    if (cmd.switches?.includes(name)) {
      Object.assign(env, flagsToEnv([`--${name}`, '1']));
      continue;
    }
    if (!cmd.flags.includes(name)) throw new UsageError(`unknown flag --${name}`);
    const value = inline ?? argv[++i];
    if (value === undefined) throw new UsageError(`--${name} needs a value`);
    Object.assign(env, flagsToEnv([`--${name}`, value]));
  }
  return { positional, env };
}
