/**
 * weft-attach: the CLI a container runtime (or an operator) calls.
 *
 *   tsx agent/runtime/cli.ts attach <containerId> <netnsPath> [--env] [--socket <path>]
 *   tsx agent/runtime/cli.ts detach <containerId> [--socket <path>]
 *   tsx agent/runtime/cli.ts list [--socket <path>]
 *
 * Prints the API's JSON answer; with --env, prints `KEY=value` lines and the resolv.conf line
 * instead. Exit code 0 on success, 1 on a coded error (printed as `CODE: message` on stderr).
 * The socket defaults to $WEFT_ATTACH_SOCKET, else <state dir>/attach.sock with
 * $WEFT_STATE_DIR or /var/lib/weft.
 */
import { join } from 'node:path';
import { attachContainer, callAttachApi, detachContainer } from './client';

/** Where the CLI prints (process.stdout/stderr, or a collector in tests). */
export interface Writable {
  write(s: string): unknown;
}

/** Default socket path, shared with main.ts so both sides agree. */
export function defaultAttachSocket(env: NodeJS.ProcessEnv = process.env): string {
  return env.WEFT_ATTACH_SOCKET ?? join(env.WEFT_STATE_DIR ?? '/var/lib/weft', 'attach.sock');
}

/** Runs the CLI with argv (without node and script); returns the exit code. */
export async function main(argv: string[], out: Writable = process.stdout, err: Writable = process.stderr): Promise<number> {
  const args = [...argv];
  const flag = (name: string) => {
    const i = args.indexOf(name);
    if (i < 0) return undefined;
    const v = args[i + 1];
    args.splice(i, 2);
    return v;
  };
  const socket = flag('--socket') ?? defaultAttachSocket();
  const asEnv = args.includes('--env');
  const pos = args.filter((a) => a !== '--env');
  try {
    if (pos[0] === 'attach' && pos.length === 3) {
      const r = await attachContainer(socket, pos[1], pos[2]);
      out.write(
        asEnv
          ? Object.entries(r.env)
              .map(([k, v]) => `${k}=${v}\n`)
              .join('') + `# resolv.conf: ${r.resolvConf}\n`
          : JSON.stringify(r, null, 2) + '\n',
      );
    } else if (pos[0] === 'detach' && pos.length === 2) out.write(JSON.stringify(await detachContainer(socket, pos[1])) + '\n');
    else if (pos[0] === 'list') out.write(JSON.stringify(await callAttachApi(socket, 'GET', '/v1/attachments'), null, 2) + '\n');
    else {
      err.write('usage: weft-attach attach <containerId> <netnsPath> [--env] | detach <containerId> | list  [--socket <path>]\n');
      return 2;
    }
    return 0;
  } catch (e) {
    err.write(`${(e as Error).message}\n`);
    return 1;
  }
}

if (process.argv[1] && /runtime[\\/]cli\.[jt]s$/.test(process.argv[1])) {
  main(process.argv.slice(2)).then((code) => process.exit(code));
}
