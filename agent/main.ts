/**
 * weft-agent — the host agent's command line: a table of subcommands, one file each in cli/.
 *
 *   weft-agent [command] [flags]      (command defaults to `run`)
 *   weft-agent --help                 the commands, on stdout, exit 0
 *   weft-agent <command> --help       that command's usage, on stdout, exit 0
 *
 * A bad command line (unknown command or flag, a missing value) prints why and the usage on stderr
 * and exits 2; a failure while running exits 1. See README "Run an agent".
 */
import { type Command, type CommandIo, parseArgs, UsageError } from './cli/command.ts';
import { enrollCommand } from './cli/enroll.ts';
import { envCommand } from './cli/env.ts';
import { runCommand } from './cli/run.ts';
import { statusCommand } from './cli/status.ts';
import { acceptGenerationCommand, rotateKeyCommand, confirmCommand, drainCommand } from './cli/operator.ts';

export const COMMANDS: Record<string, Command> = {
  run: runCommand,
  status: statusCommand,
  enroll: enrollCommand,
  env: envCommand,
  confirm: confirmCommand,
  'accept-generation': acceptGenerationCommand,
  'rotate-key': rotateKeyCommand,
  drain: drainCommand,
};

function overview(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((k) => k.length));
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return `usage: weft-agent [command] [flags]   (default command: run)\n\ncommands:\n${lines.join('\n')}\n\nweft-agent <command> --help shows a command's flags.\n`;
}

/** Runs the command line (argv without node and script); returns the exit code. */
export async function main(argv: string[], io: CommandIo = { out: process.stdout, err: process.stderr, env: process.env }): Promise<number> {
  if (argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    io.out.write(overview());
    return 0;
  }
  const named = argv[0] !== undefined && !argv[0].startsWith('-');
  const name = named ? argv[0] : 'run';
  const cmd = COMMANDS[name];
  if (!cmd) {
    io.err.write(`weft-agent: unknown command ${JSON.stringify(name)}\n\n${overview()}`);
    return 2;
  }
  const rest = named ? argv.slice(1) : argv;
  if (rest.includes('--help') || rest.includes('-h')) {
    io.out.write(`usage: ${cmd.usage}\n`);
    return 0;
  }
  try {
    const { positional, env } = parseArgs(cmd, rest);
    return await cmd.run(positional, { ...io, env: { ...io.env, ...env } });
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    io.err.write(`weft-agent ${name}: ${e.message}\nusage: ${cmd.usage}\n`);
    return 2;
  }
}

if (process.argv[1] && /agent[\\/]main\.[jt]s$/.test(process.argv[1])) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error) => {
      console.error(`weft-agent: ${(error as Error).message}`);
      process.exit(1);
    },
  );
}
