/**
 * A baseline checkout for before/after benchmarks: the tree of a git revision exported (git archive)
 * into the OS temp directory, with node_modules linked to this checkout's, so a benchmark can start
 * the API (or import modules) of that revision beside the current ones and measure both with the
 * same harness in one run. Exports are cached by commit (`<tmpdir>/weft-baseline-<sha12>`) and
 * reused by later runs and by other benchmarks; they hold no git metadata, so nothing in this
 * checkout's .git changes. Several processes may ask for the same revision at once: each exports
 * into its own directory and renames it into place, and the loser of the race uses the winner's.
 *
 * The linked node_modules are this checkout's: a revision whose package-lock.json differs gets a
 * warning on stderr, since its code then runs against other dependency versions.
 *
 *   const root = await baselineRoot('f4a352f');   // then e.g. startBenchApi({}, seed, root)
 *   await removeBaseline('f4a352f');               // on request; the cache otherwise stays
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import type { createApiClient } from '../agent/api/client.ts';

const run = promisify(execFile);

/** This checkout's root (where node_modules and .git live). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

const MARK = '.weft-baseline'; // written last: a directory without it is an unfinished export

/** The full commit id of `rev` in this checkout (a branch, tag, short or full id). */
export async function resolveRevision(rev: string): Promise<string> {
  const { stdout } = await run('git', ['rev-parse', '--verify', '--quiet', `${rev}^{commit}`], { cwd: REPO_ROOT }).catch(() => ({ stdout: '' }));
  const sha = stdout.trim();
  if (!/^[0-9a-f]{40}$/.test(sha)) throw new Error(`bench baseline: ${JSON.stringify(rev)} is not a commit of this repository`);
  return sha;
}

/** Where the export of commit `sha` lives (whether or not it exists yet). */
export function baselineDir(sha: string): string {
  return join(tmpdir(), `weft-baseline-${sha.slice(0, 12)}`);
}

/**
 * The root of an export of `rev`, creating it when it is not cached yet. The root has the
 * revision's files (src/, agent/, protocol/, bench/, test/ …) and a node_modules link to this
 * checkout's, so `node --import tsx src/node.ts` run from it starts that revision's API.
 */
export async function baselineRoot(rev: string): Promise<string> {
  const sha = await resolveRevision(rev);
  const dir = baselineDir(sha);
  if (existsSync(join(dir, MARK))) return dir;
  const partial = mkdtempSync(`${dir}.partial-`);
  try {
    await run('sh', ['-c', 'git archive --format=tar "$1" | tar -x -C "$2"', 'sh', sha, partial], { cwd: REPO_ROOT, maxBuffer: 1 << 20 });
    symlinkSync(join(REPO_ROOT, 'node_modules'), join(partial, 'node_modules'), 'dir');
    const lock = (root: string) => (existsSync(join(root, 'package-lock.json')) ? readFileSync(join(root, 'package-lock.json'), 'utf8') : '');
    if (lock(partial) !== lock(REPO_ROOT))
      console.error(`bench baseline: ${sha.slice(0, 7)} has another package-lock.json; it runs with this checkout's node_modules`);
    writeFileSync(join(partial, MARK), `${sha}\n`);
    try {
      renameSync(partial, dir);
    } catch (error) {
      // another process finished the same export first: use its copy
      if (!existsSync(join(dir, MARK))) throw error;
      rmSync(partial, { recursive: true, force: true });
    }
  } catch (error) {
    rmSync(partial, { recursive: true, force: true });
    throw error;
  }
  return dir;
}

/** Removes the cached export of `rev` (the link only, never the linked node_modules). */
export async function removeBaseline(rev: string): Promise<void> {
  const dir = baselineDir(await resolveRevision(rev));
  rmSync(join(dir, 'node_modules'), { force: true }); // unlink first: rmSync must not walk into the shared tree
  rmSync(dir, { recursive: true, force: true });
}

/** A short label for rows: "(before, f4a352f)". */
export function baselineLabel(rev: string): string {
  return `(before, ${rev.slice(0, 7)})`;
}

/** The revision `--<part>-baseline <rev>` or `--baseline <rev>` asks for, or null. */
export function baselineArg(part: string, argv = process.argv): string | null {
  for (const flag of [`--${part}-baseline`, '--baseline']) {
    const i = argv.indexOf(flag);
    if (i > 0 && argv[i + 1] && !argv[i + 1].startsWith('--')) return argv[i + 1];
  }
  return null;
}

/**
 * The agent's API client of `root` (this checkout or a baseline): each API is read with the client
 * of its own revision, whose watch is the one that API understands (the compact host feed of issue
 * 17 added an argument an older API refuses).
 */
export async function agentClientOf(root: string): Promise<typeof createApiClient> {
  const module = (await import(pathToFileURL(join(root, 'agent/api/client.ts')).href)) as { createApiClient: typeof createApiClient };
  return module.createApiClient;
}

/**
 * How the raw consumers (bench/sse-consumer.ts) talk to the API of the tree at `root`, as that
 * tree's own agent does: its watch query (LEGACY_WATCH before the compact host feed) and its report
 * (POST /agent/report once protocol/agent-report.ts exists, else the mutation).
 */
export function consumerDialect(root: string): { legacyWatch: boolean; reportRoute: boolean; reportPasses: boolean } {
  const client = readFileSync(join(root, 'agent/api/client.ts'), 'utf8');
  return {
    legacyWatch: !client.includes('hostChanges(hostId: $h, since: $s, generation: $g)'),
    reportRoute: existsSync(join(root, 'protocol/agent-report.ts')),
    reportPasses: existsSync(join(root, 'agent/api/report-passes.ts')),
  };
}
