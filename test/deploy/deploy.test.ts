/**
 * Issue 18, deploy/: the systemd units pass `systemd-analyze verify`, the alert rules pass
 * `promtool check rules` and their unit tests (`promtool test rules`), and the dashboard and the
 * alerts only name series that Weft exports. The tools come from Debian's `systemd` and
 * `prometheus` packages; CI installs both (a missing tool fails there, and skips elsewhere).
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { createAgentMetrics } from '../../agent/metrics/registry.ts';
import { createApiMetrics } from '../../src/node/metrics.ts';
import { hasPromtool } from '../support/prometheus.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const required = process.env.WEFT_REQUIRE_ROOT_SUITES === '1';
const hasSystemdAnalyze = spawnSync('systemd-analyze', ['--version']).status === 0;
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');
const UNITS = ['weft-agent', 'weft-api'];

/** `Key=value` settings of a unit's [Service] section (the last one wins, as in systemd). */
function serviceSettings(text: string): Map<string, string> {
  const out = new Map<string, string>();
  const section = text.split(/^\[Service\]$/m)[1]?.split(/^\[/m)[0] ?? '';
  for (const line of section.split('\n')) {
    const m = /^(\w+)=(.*)$/.exec(line.trim());
    if (m) out.set(m[1], m[2]);
  }
  return out;
}

describe('deploy/systemd', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'weft-units-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it.skipIf(!hasSystemdAnalyze && !required)('both units pass systemd-analyze verify', () => {
    // verify also checks that ExecStart exists: point it at a stand-in, the rest of the unit as shipped.
    const files = UNITS.map((unit) => {
      const binary = join(scratch, unit);
      writeFileSync(binary, '#!/bin/sh\n');
      chmodSync(binary, 0o755);
      const text = read(`deploy/systemd/${unit}.service`);
      expect(text).toContain(`ExecStart=/usr/local/bin/${unit}`);
      const file = join(scratch, `${unit}.service`);
      writeFileSync(file, text.replace(`/usr/local/bin/${unit}`, binary));
      return file;
    });
    const r = spawnSync('systemd-analyze', ['verify', '--man=no', ...files], { encoding: 'utf8' });
    expect({ status: r.status, output: `${r.stdout}${r.stderr}`.trim() }).toEqual({ status: 0, output: '' });
  });

  it('the agent restarts on failure, stops only its own process, and may use netlink and namespaces', () => {
    const s = serviceSettings(read('deploy/systemd/weft-agent.service'));
    expect(s.get('Restart')).toBe('on-failure');
    expect(s.get('KillMode')).toBe('process'); // the DNS daemon outlives the agent (docs/dns.md)
    expect(s.get('RestrictAddressFamilies')?.split(' ')).toEqual(expect.arrayContaining(['AF_NETLINK', 'AF_UNIX', 'AF_INET']));
    expect(s.get('RestrictNamespaces')?.split(' ')).toEqual(expect.arrayContaining(['net', 'mnt']));
    expect(s.get('CapabilityBoundingSet')?.split(' ')).toEqual(expect.arrayContaining(['CAP_NET_ADMIN', 'CAP_SYS_ADMIN']));
    expect(s.get('NoNewPrivileges')).toBe('yes');
    // /run/netns bind mounts must reach the host's mount namespace and outlive the agent
    for (const key of ['ProtectSystem', 'PrivateTmp', 'ReadWritePaths', 'ProtectHome', 'PrivateMounts']) expect(s.has(key)).toBe(false);
  });

  it('the API runs unprivileged, with its metrics on loopback', () => {
    const s = serviceSettings(read('deploy/systemd/weft-api.service'));
    expect(s.get('DynamicUser')).toBe('yes');
    expect(s.get('CapabilityBoundingSet')).toBe('');
    expect(s.get('ProtectSystem')).toBe('strict');
    expect(s.get('Restart')).toBe('on-failure');
    expect(read('deploy/systemd/weft-api.service')).toMatch(/^Environment=METRICS_HOST=127\.0\.0\.1$/m);
  });
});

describe('deploy/prometheus and deploy/grafana', () => {
  it.skipIf(!hasPromtool && !required)('alerts.yml passes promtool check rules and its rule tests', () => {
    const dir = join(ROOT, 'deploy/prometheus');
    const check = spawnSync('promtool', ['check', 'rules', 'alerts.yml'], { cwd: dir, encoding: 'utf8' });
    expect(check.status, `${check.stdout}${check.stderr}`).toBe(0);
    const test = spawnSync('promtool', ['test', 'rules', 'alerts.test.yml'], { cwd: dir, encoding: 'utf8' });
    expect(test.status, `${test.stdout}${test.stderr}`).toBe(0);
  });

  it('the alerts cover feed lag, hosts behind, the brake, dead letters and the DNS SERVFAIL rate', () => {
    const alerts = read('deploy/prometheus/alerts.yml');
    for (const name of ['WeftFeedLagHigh', 'WeftHostsBehind', 'WeftBrakeEngaged', 'WeftWebhookDeadLetters', 'WeftDnsServfailRate'])
      expect(alerts).toContain(`alert: ${name}`);
  });

  it('the dashboard is valid JSON whose every query names a series Weft exports', () => {
    const dashboard = JSON.parse(read('deploy/grafana/weft.json')) as { panels: { targets?: { expr: string }[] }[] };
    const exprs = dashboard.panels.flatMap((p) => p.targets ?? []).map((t) => t.expr);
    expect(exprs.length).toBeGreaterThan(15);
    const exported = exportedFamilies();
    const named = (text: string) => [...text.matchAll(/\b((?:weft|process|nodejs)_[a-z0-9_]+)/g)].map((m) => m[1].replace(/_(bucket|sum|count)$/, ''));
    const unknown = [...new Set([...exprs.flatMap(named), ...named(read('deploy/prometheus/alerts.yml'))])].filter((n) => !exported.has(n));
    expect(unknown).toEqual([]);
  });
});

/** Every family name the API and the agent register. */
function exportedFamilies(): Set<string> {
  const names = new Set(
    createApiMetrics()
      .registry.getMetricsAsArray()
      .map((m) => m.name),
  );
  for (const m of createAgentMetrics().registry.getMetricsAsArray()) names.add(m.name);
  return names;
}
