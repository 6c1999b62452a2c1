/**
 * Builds the resolver matrix's clients once (musl getaddrinfo program, Go pure-resolver client,
 * Java class) into a cache directory under the system temp dir named by the sources' hash, so a
 * second run, or a run after an unrelated change, builds nothing. Node and Python clients run from
 * their sources. Needs musl-gcc (musl-tools), go (golang-go) and javac (a JDK).
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
export const RESOLVERS_DIR = dirname(fileURLToPath(import.meta.url));
const SOURCES = ['gai.c', 'lookup.go', 'Lookup.java'];

export interface ResolverClients {
  musl: string; // static binary
  go: string; // binary
  javaClassPath: string; // directory holding Lookup.class
  node: string; // lookup.mjs
  python: string; // lookup.py
}

/** Builds (or finds) the clients; returns their paths. */
export async function buildResolverClients(): Promise<ResolverClients> {
  const hash = createHash('sha256');
  for (const f of SOURCES) hash.update(readFileSync(join(RESOLVERS_DIR, f)));
  const dir = join(tmpdir(), `weft-resolvers-${hash.digest('hex').slice(0, 12)}`);
  const out: ResolverClients = {
    musl: join(dir, 'gai-musl'),
    go: join(dir, 'lookup-go'),
    javaClassPath: dir,
    node: join(RESOLVERS_DIR, 'lookup.mjs'),
    python: join(RESOLVERS_DIR, 'lookup.py'),
  };
  if (existsSync(join(dir, 'done'))) return out;
  const work = `${dir}.tmp-${process.pid}`;
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  await Promise.all([
    run('musl-gcc', ['-static', '-O2', '-o', join(work, 'gai-musl'), join(RESOLVERS_DIR, 'gai.c')]),
    run('go', ['build', '-o', join(work, 'lookup-go'), join(RESOLVERS_DIR, 'lookup.go')], {
      env: { ...process.env, GOCACHE: join(work, 'gocache'), GOPATH: join(work, 'gopath'), GO111MODULE: 'off', CGO_ENABLED: '0' },
    }),
    run('javac', ['-d', work, join(RESOLVERS_DIR, 'Lookup.java')]),
  ]);
  rmSync(join(work, 'gocache'), { recursive: true, force: true });
  rmSync(join(work, 'gopath'), { recursive: true, force: true });
  await run('touch', [join(work, 'done')]);
  rmSync(dir, { recursive: true, force: true });
  renameSync(work, dir);
  return out;
}
