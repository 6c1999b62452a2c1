/**
 * Runs lab/probe.ts inside namespaces, from the e2e suite and the demo. Background probes are
 * started through `World.spawnIn`, so `World.destroy()` ends them even when a test fails.
 */
import { type ChildProcess, execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { World } from './world.ts';

const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '..');
const PROBE = join(ROOT, 'lab/probe.ts');
// probe.ts relies on Node 24's type stripping: the project's own Node (devDependency) when present
const NODE = existsSync(join(ROOT, 'node_modules/.bin/node')) ? join(ROOT, 'node_modules/.bin/node') : process.execPath;

/** argv that runs a probe command. */
export const probeArgv = (...args: (string | number)[]) => [NODE, PROBE, ...args.map(String)];

/** Runs a probe to completion in `ns` and returns its last stdout line parsed as JSON. */
export function runProbe<T = any>(ns: string, ...args: (string | number)[]): Promise<T> {
  return new Promise((res, rej) => {
    execFile('ip', ['netns', 'exec', ns, ...probeArgv(...args)], { timeout: 30_000 }, (error, stdout, stderr) => {
      if (error) return rej(new Error(`probe ${args.join(' ')} in ${ns}: ${error.message} ${stderr}`));
      res(JSON.parse(stdout.trim().split('\n').at(-1)!));
    });
  });
}

/** A probe running in the background. */
export interface Background {
  child: ChildProcess;
  lines: () => string[];
  /** Sends `signal` and resolves with every stdout line once it exits. */
  stop(signal?: NodeJS.Signals): Promise<string[]>;
  /** Resolves with every stdout line once it exits by itself. */
  done(): Promise<string[]>;
}

/** Starts a long-running command in `ns` and resolves once it printed `ready` (or after 10 s). */
export async function startBackground(world: World, ns: string, argv: string[], readyLine: string | null = 'ready'): Promise<Background> {
  const child = world.spawnIn(ns, argv);
  let text = '';
  let errText = '';
  child.stdout!.on('data', (d) => (text += d));
  child.stderr!.on('data', (d) => (errText += d));
  const closed = new Promise<void>((r) => child.once('close', () => r())); // exited, stdout drained
  if (readyLine) {
    const end = Date.now() + 10_000;
    while (!text.split('\n').includes(readyLine)) {
      if (Date.now() > end || child.exitCode !== null) throw new Error(`${argv.join(' ')} in ${ns} not ready: ${text}${errText}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  const lines = () => text.split('\n').filter((l) => l && l !== readyLine);
  return {
    child,
    lines,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await Promise.race([closed, new Promise((r) => setTimeout(r, 5000))]);
      return lines();
    },
    done: () => closed.then(lines),
  };
}

/** Parses ping's summary: transmitted and received counts. */
export function pingSummary(lines: string[]): { sent: number; received: number } {
  const m = /(\d+) packets transmitted, (\d+) received/.exec(lines.join('\n'));
  if (!m) throw new Error(`no ping summary in: ${lines.slice(-3).join(' | ')}`);
  return { sent: Number(m[1]), received: Number(m[2]) };
}

/** Starts `probe serve` (TCP and UDP echo answering with `label`) in a container. */
export const serveEcho = (world: World, ns: string, label: string, ip: string, port: number) => startBackground(world, ns, probeArgv('serve', label, ip, port));
