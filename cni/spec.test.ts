import { describe, expect, it } from 'vitest';
import type { AttachResult } from '../agent/runtime/env.ts';
import { CniError, CODES } from './errors.ts';
import { addResult, checkPrevResult, cidrOf, identityOf, parseCniArgs, parseRequest, SUPPORTED_VERSIONS, validIfName, versionResult } from './spec.ts';

const NET = 'pn-0b9d6f3e-1c2a-4d5e-8f90-a1b2c3d4e5f6';
const conf = (v: string, extra: Record<string, unknown> = {}) => JSON.stringify({ cniVersion: v, name: NET, type: 'weft-cni', network: NET, ...extra });
const ENV = { CNI_CONTAINERID: 'a1b2c3', CNI_NETNS: '/run/netns/cni-1', CNI_IFNAME: 'eth0', CNI_ARGS: 'IgnoreUnknown=1;MAC=02:00:0a:f0:00:05' };
const PREV = {
  cniVersion: '1.0.0',
  interfaces: [{ name: 'eth0', mac: '02:00:0a:f0:00:05', sandbox: '/run/netns/cni-1' }],
  ips: [{ address: '10.240.0.5/22', interface: 0 }],
};
const GOOD: Record<string, Record<string, unknown>> = {
  ADD: {},
  DEL: {},
  CHECK: { prevResult: PREV },
  STATUS: {},
  GC: { 'cni.dev/valid-attachments': [{ containerID: 'a1b2c3', ifname: 'eth0' }] },
};

/** The code parseRequest throws, or 0 when it accepts. */
function codeOf(env: Record<string, string | undefined>, stdin: string): number {
  try {
    parseRequest(env, stdin);
    return 0;
  } catch (e) {
    if (!(e instanceof CniError)) throw e;
    expect(e.message.length).toBeGreaterThan(10); // says what is wrong
    return e.code;
  }
}

describe('parseRequest: every command × version, good input', () => {
  const rows: [string, string, number][] = [];
  for (const cmd of ['ADD', 'DEL', 'CHECK', 'STATUS', 'GC']) {
    for (const v of SUPPORTED_VERSIONS) {
      // STATUS and GC exist from 1.1.0 on: older configurations are refused with code 1
      rows.push([cmd, v, (cmd === 'STATUS' || cmd === 'GC') && v !== '1.1.0' ? CODES.INCOMPATIBLE_VERSION : 0]);
    }
  }
  it.each(rows)('%s with cniVersion %s → %i', (cmd, v, code) => {
    expect(codeOf({ ...ENV, CNI_COMMAND: cmd }, conf(v, GOOD[cmd]))).toBe(code);
  });

  it.each(SUPPORTED_VERSIONS.map((v) => [v]))('VERSION with cniVersion %s echoes it and lists the supported versions', (v) => {
    const r = parseRequest({ CNI_COMMAND: 'VERSION' }, JSON.stringify({ cniVersion: v }));
    expect(versionResult(r.cniVersion)).toEqual({ cniVersion: v, supportedVersions: ['0.4.0', '1.0.0', '1.1.0'] });
  });

  it('VERSION with empty stdin answers for 1.1.0', () => {
    expect(parseRequest({ CNI_COMMAND: 'VERSION' }, '').cniVersion).toBe('1.1.0');
  });

  it('DEL needs no CNI_NETNS (the namespace may be gone); STATUS and GC need no container', () => {
    expect(codeOf({ CNI_COMMAND: 'DEL', CNI_CONTAINERID: 'x', CNI_IFNAME: 'eth0' }, conf('1.0.0'))).toBe(0);
    expect(codeOf({ CNI_COMMAND: 'STATUS' }, conf('1.1.0'))).toBe(0);
    expect(codeOf({ CNI_COMMAND: 'GC' }, conf('1.1.0', GOOD.GC))).toBe(0);
  });

  it('GC reads the valid attachments, also under the key libcni used before 1.2.3', () => {
    const old = parseRequest({ CNI_COMMAND: 'GC' }, conf('1.1.0', { 'cni.dev/attachments': [{ containerID: 'c', ifname: 'eth1' }] }));
    expect(old.conf!.validAttachments).toEqual([{ containerId: 'c', ifName: 'eth1' }]);
  });
});

describe('parseRequest: bad input gets the spec code', () => {
  const bad: [string, Record<string, string | undefined>, string, number][] = [
    ['no CNI_COMMAND', { ...ENV }, conf('1.0.0'), CODES.INVALID_ENVIRONMENT],
    ['unknown CNI_COMMAND', { ...ENV, CNI_COMMAND: 'INIT' }, conf('1.0.0'), CODES.INVALID_ENVIRONMENT],
    ['ADD without CNI_NETNS', { ...ENV, CNI_COMMAND: 'ADD', CNI_NETNS: undefined }, conf('1.0.0'), CODES.INVALID_ENVIRONMENT],
    ['ADD without CNI_IFNAME', { ...ENV, CNI_COMMAND: 'ADD', CNI_IFNAME: '' }, conf('1.0.0'), CODES.INVALID_ENVIRONMENT],
    ['CHECK without CNI_CONTAINERID', { ...ENV, CNI_COMMAND: 'CHECK', CNI_CONTAINERID: undefined }, conf('1.0.0', GOOD.CHECK), CODES.INVALID_ENVIRONMENT],
    ['DEL without CNI_IFNAME', { CNI_COMMAND: 'DEL', CNI_CONTAINERID: 'x' }, conf('1.0.0'), CODES.INVALID_ENVIRONMENT],
    ['container id with a slash', { ...ENV, CNI_COMMAND: 'ADD', CNI_CONTAINERID: 'a/b' }, conf('1.0.0'), CODES.INVALID_ENVIRONMENT],
    ['interface name of 16 characters', { ...ENV, CNI_COMMAND: 'ADD', CNI_IFNAME: 'abcdefghijklmnop' }, conf('1.0.0'), CODES.INVALID_ENVIRONMENT],
    ['relative CNI_NETNS', { ...ENV, CNI_COMMAND: 'ADD', CNI_NETNS: 'netns/x' }, conf('1.0.0'), CODES.INVALID_ENVIRONMENT],
    ['CNI_ARGS pair without =', { ...ENV, CNI_COMMAND: 'ADD', CNI_ARGS: 'IgnoreUnknown=1;MAC' }, conf('1.0.0'), CODES.INVALID_ENVIRONMENT],
    ['MAC that is not one', { ...ENV, CNI_COMMAND: 'ADD', CNI_ARGS: 'MAC=02:00:zz' }, conf('1.0.0'), CODES.INVALID_ENVIRONMENT],
    ['IPv6 IP', { ...ENV, CNI_COMMAND: 'ADD', CNI_ARGS: 'IP=fd00::5' }, conf('1.0.0'), CODES.INVALID_ENVIRONMENT],
    ['WEFT_CONTAINER_ID that is not ctr-…', { ...ENV, CNI_COMMAND: 'ADD', CNI_ARGS: 'WEFT_CONTAINER_ID=web1' }, conf('1.0.0'), CODES.INVALID_ENVIRONMENT],
    ['ADD naming no container', { ...ENV, CNI_COMMAND: 'ADD', CNI_ARGS: 'IgnoreUnknown=1;K8S_POD_NAME=web1' }, conf('1.0.0'), CODES.IDENTITY],
    [
      'ADD with two IPs',
      { ...ENV, CNI_COMMAND: 'ADD', CNI_ARGS: 'IP=10.240.0.5' },
      conf('1.0.0', { runtimeConfig: { ips: ['10.240.0.6/22'] } }),
      CODES.IDENTITY,
    ],
    ['stdin not JSON', { ...ENV, CNI_COMMAND: 'ADD' }, '{"cniVersion":', CODES.DECODING_FAILURE],
    ['stdin a JSON list', { ...ENV, CNI_COMMAND: 'ADD' }, '[]', CODES.DECODING_FAILURE],
    ['prevResult not an object', { ...ENV, CNI_COMMAND: 'CHECK' }, conf('1.0.0', { prevResult: 'x' }), CODES.DECODING_FAILURE],
    ['prevResult.ips not a list', { ...ENV, CNI_COMMAND: 'CHECK' }, conf('1.0.0', { prevResult: { ips: {} } }), CODES.DECODING_FAILURE],
    ['unknown cniVersion', { ...ENV, CNI_COMMAND: 'ADD' }, conf('0.3.1'), CODES.INCOMPATIBLE_VERSION],
    ['future cniVersion', { ...ENV, CNI_COMMAND: 'DEL' }, conf('2.0.0'), CODES.INCOMPATIBLE_VERSION],
    ['GC on a 1.0.0 configuration', { CNI_COMMAND: 'GC' }, conf('1.0.0'), CODES.INCOMPATIBLE_VERSION],
    ['an ipam section', { ...ENV, CNI_COMMAND: 'ADD' }, conf('1.0.0', { ipam: { type: 'host-local' } }), CODES.UNSUPPORTED_FIELD],
    ['a misspelt key', { ...ENV, CNI_COMMAND: 'ADD' }, conf('1.0.0', { netwrok: NET }), CODES.UNSUPPORTED_FIELD],
    ['no cniVersion', { ...ENV, CNI_COMMAND: 'ADD' }, JSON.stringify({ name: NET, type: 'weft-cni', network: NET }), CODES.INVALID_CONFIG],
    ['no network', { ...ENV, CNI_COMMAND: 'ADD' }, JSON.stringify({ cniVersion: '1.0.0', name: 'x', type: 'weft-cni' }), CODES.INVALID_CONFIG],
    ['a network that is not pn-…', { ...ENV, CNI_COMMAND: 'ADD' }, conf('1.0.0', { network: 'prod' }), CODES.INVALID_CONFIG],
    ['a bad network name', { ...ENV, CNI_COMMAND: 'ADD' }, conf('1.0.0', { name: '-x' }), CODES.INVALID_CONFIG],
    ['another plugin type', { ...ENV, CNI_COMMAND: 'ADD' }, conf('1.0.0', { type: 'bridge' }), CODES.INVALID_CONFIG],
    ['a relative socket', { ...ENV, CNI_COMMAND: 'ADD' }, conf('1.0.0', { socket: 'attach.sock' }), CODES.INVALID_CONFIG],
    ['a negative timeoutMs', { ...ENV, CNI_COMMAND: 'ADD' }, conf('1.0.0', { timeoutMs: -1 }), CODES.INVALID_CONFIG],
    ['CHECK without prevResult', { ...ENV, CNI_COMMAND: 'CHECK' }, conf('1.1.0'), CODES.INVALID_CONFIG],
    ['GC with valid-attachments not a list', { CNI_COMMAND: 'GC' }, conf('1.1.0', { 'cni.dev/valid-attachments': {} }), CODES.INVALID_CONFIG],
    [
      'GC with an attachment lacking ifname',
      { CNI_COMMAND: 'GC' },
      conf('1.1.0', { 'cni.dev/valid-attachments': [{ containerID: 'c' }] }),
      CODES.INVALID_CONFIG,
    ],
    ['runtimeConfig.ips not a list', { ...ENV, CNI_COMMAND: 'ADD' }, conf('1.0.0', { runtimeConfig: { ips: '10.240.0.5' } }), CODES.INVALID_CONFIG],
  ];
  it.each(bad)('%s', (_what, env, stdin, code) => {
    expect(codeOf(env, stdin)).toBe(code);
  });
});

describe('which container: identityOf', () => {
  it.each([
    ['MAC from podman --mac-address', { MAC: '02:00:0A:F0:00:05' }, {}, { mac: '02:00:0a:f0:00:05' }],
    ['IP from podman --ip', { IP: '10.240.0.5' }, {}, { ip: '10.240.0.5' }],
    ['ips and mac capabilities', {}, { ips: ['10.240.0.5/22'], mac: '02:00:0a:f0:00:05' }, { ip: '10.240.0.5', mac: '02:00:0a:f0:00:05' }],
    ['CNI_ARGS WEFT_CONTAINER_ID', { WEFT_CONTAINER_ID: 'ctr-1234' }, {}, { containerId: 'ctr-1234' }],
    ['a container named ctr-…', { K8S_POD_NAME: 'ctr-1234' }, {}, { containerId: 'ctr-1234' }],
    ['another name is ignored', { K8S_POD_NAME: 'web', MAC: '02:00:0a:f0:00:05' }, {}, { mac: '02:00:0a:f0:00:05' }],
    ['the same IP twice is one', { IP: '10.240.0.5' }, { ips: ['10.240.0.5/22'] }, { ip: '10.240.0.5' }],
  ] as const)('%s', (_what, args, rc, want) => {
    expect(identityOf({ ...args }, rc)).toEqual(want);
  });
});

describe('results', () => {
  const a: AttachResult = {
    containerId: 'ctr-1',
    networkId: NET,
    interface: 'eth0',
    ip: '10.240.1.7',
    prefixLen: 22,
    mac: '02:00:0a:f0:01:07',
    mtu: 1370,
    gateway: '10.240.0.1',
    resolver: '10.240.0.1',
    resolvConf: 'nameserver 10.240.0.1',
    env: {},
  };

  it.each([
    ['1.1.0', { name: 'eth0', mac: a.mac, mtu: 1370, sandbox: '/run/netns/x' }, { address: '10.240.1.7/22', gateway: '10.240.0.1', interface: 0 }],
    ['1.0.0', { name: 'eth0', mac: a.mac, sandbox: '/run/netns/x' }, { address: '10.240.1.7/22', gateway: '10.240.0.1', interface: 0 }],
    ['0.4.0', { name: 'eth0', mac: a.mac, sandbox: '/run/netns/x' }, { version: '4', address: '10.240.1.7/22', gateway: '10.240.0.1', interface: 0 }],
  ])('ADD result in %s: interface in the sandbox, IP with gateway, route, gateway as nameserver', (v, iface, ip) => {
    expect(addResult(v, a, '/run/netns/x')).toEqual({
      cniVersion: v,
      interfaces: [iface],
      ips: [ip],
      routes: [{ dst: '10.240.0.0/22' }],
      dns: { nameservers: ['10.240.0.1'] },
    });
  });

  it('keeps a prevResult and appends this attachment, indexing its own interface', () => {
    const prev = { cniVersion: '1.0.0', interfaces: [{ name: 'eth0' }], ips: [{ address: '192.168.1.2/24', interface: 0 }], dns: { nameservers: ['1.1.1.1'] } };
    const r = addResult('1.0.0', { ...a, interface: 'eth1' }, '/n', prev);
    expect(r.interfaces!.map((i) => i.name)).toEqual(['eth0', 'eth1']);
    expect(r.ips).toEqual([prev.ips[0], { address: '10.240.1.7/22', gateway: '10.240.0.1', interface: 1 }]);
    expect(r.dns!.nameservers).toEqual(['10.240.0.1', '1.1.1.1']);
  });

  it('CHECK compares prevResult with the attachment', () => {
    const prev = addResult('1.0.0', a, '/run/netns/x');
    expect(checkPrevResult(prev, a, 'eth0', '/run/netns/x')).toEqual([]);
    expect(checkPrevResult(prev, { ...a, mac: '02:00:0a:f0:01:08' }, 'eth0', '/run/netns/x')).toEqual([
      'interface eth0 has MAC 02:00:0a:f0:01:07, the agent has 02:00:0a:f0:01:08',
    ]);
    expect(checkPrevResult(prev, { ...a, ip: '10.240.1.9' }, 'eth0', '/run/netns/x')).toEqual(['prevResult has no address 10.240.1.9/22 on eth0']);
    expect(checkPrevResult(prev, a, 'eth1', '/run/netns/x')).toEqual(['prevResult has no interface eth1 in /run/netns/x']);
  });

  it.each([
    ['10.240.1.7', 22, '10.240.0.0/22'],
    ['10.240.3.255', 22, '10.240.0.0/22'],
    ['192.168.7.9', 28, '192.168.7.0/28'],
    ['172.16.200.1', 16, '172.16.0.0/16'],
  ])('cidrOf(%s, %i) = %s', (ip, len, want) => {
    expect(cidrOf(ip, len)).toBe(want);
  });

  it.each([
    ['eth0', true],
    ['abcdefghijklmno', true],
    ['abcdefghijklmnop', false],
    ['..', false],
    ['a b', false],
    ['a:b', false],
    ['', false],
  ])('validIfName(%j) = %s', (name, ok) => {
    expect(validIfName(name)).toBe(ok);
  });

  it('parseCniArgs keeps = inside values and skips empty pairs', () => {
    expect(parseCniArgs('A=1;;B=x=y;')).toEqual({ A: '1', B: 'x=y' });
  });
});
