/**
 * The CNI protocol of weft-cni, pure: the environment and stdin of one invocation → a validated
 * request, and the agent's answers → the spec's result objects (CNI spec 1.1.0, also 1.0.0 and 0.4.0).
 *
 * Owns: every check of what a runtime passes, with the spec's error code and a message saying what
 * to fix; which Weft container a runtime means (docs/cni.md "Which container"). Never: I/O.
 * Erasable TypeScript only, and only type imports from agent/: Node runs this file as it is.
 */
import type { AttachResult } from '../agent/runtime/env.ts';
import { CniError, CODES } from './errors.ts';

export const SUPPORTED_VERSIONS = ['0.4.0', '1.0.0', '1.1.0'] as const;
export const COMMANDS = ['ADD', 'DEL', 'CHECK', 'STATUS', 'GC', 'VERSION'] as const;
export type Command = (typeof COMMANDS)[number];
export const PLUGIN_TYPE = 'weft-cni';
export const DEFAULT_SOCKET = '/var/lib/weft/attach.sock';
export const DEFAULT_TIMEOUT_MS = 10_000;

/** Who the runtime means: any of these, all naming the same Weft container. */
export interface Identity {
  containerId?: string;
  ip?: string;
  mac?: string;
}

/** The plugin's own configuration, validated. */
export interface PluginConf {
  cniVersion: string;
  name: string;
  network: string;
  socket: string;
  timeoutMs: number;
  prevResult?: Result;
  validAttachments?: { containerId: string; ifName: string }[];
}

/** One validated invocation. */
export interface Request {
  command: Command;
  cniVersion: string;
  containerId: string;
  netns: string;
  ifName: string;
  args: Record<string, string>;
  conf: PluginConf | null; // null for VERSION
  identity: Identity;
}

/** The ADD result (all versions; version-specific fields are set by `addResult`). */
export interface Result {
  cniVersion: string;
  interfaces?: { name: string; mac?: string; mtu?: number; sandbox?: string }[];
  ips?: { version?: string; address: string; gateway?: string; interface?: number }[];
  routes?: { dst: string; gw?: string }[];
  dns?: { nameservers?: string[]; domain?: string; search?: string[]; options?: string[] };
}

// Keys the spec reserves or defines for a plugin configuration object; anything else is refused (code 2).
const KNOWN_KEYS = new Set([
  'cniVersion',
  'cniVersions',
  'name',
  'type',
  'network',
  'socket',
  'timeoutMs',
  'capabilities',
  'runtimeConfig',
  'args',
  'prevResult',
  'dns',
  'disableCheck',
  'disableGC',
  'loadOnlyInlinedPlugins',
]);

const CONTAINER_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
const NETWORK_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
const WEFT_NETWORK = /^pn-[a-z0-9-]{1,60}$/;
const WEFT_CONTAINER = /^ctr-[a-z0-9-]{1,60}$/;
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const MAC = /^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/;

/** True when `name` is a Linux interface name the spec allows for CNI_IFNAME. */
export function validIfName(name: string): boolean {
  return name.length > 0 && name.length < 16 && name !== '.' && name !== '..' && !/[\s/:]/.test(name);
}

/** `K=V;K=V` → record; a pair without `=` is a code-4 error. */
export function parseCniArgs(text: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of (text ?? '').split(';')) {
    if (!pair) continue;
    const i = pair.indexOf('=');
    if (i <= 0) throw new CniError(CODES.INVALID_ENVIRONMENT, `CNI_ARGS: "${pair}" is not KEY=VALUE`, 'CNI_ARGS is KEY=VALUE pairs separated by ";"');
    out[pair.slice(0, i)] = pair.slice(i + 1);
  }
  return out;
}

/** The version the error object of a failed invocation should carry. */
export function errorVersion(stdin: string): string {
  try {
    const v = (JSON.parse(stdin) as { cniVersion?: unknown }).cniVersion;
    return typeof v === 'string' && (SUPPORTED_VERSIONS as readonly string[]).includes(v) ? v : '1.1.0';
  } catch {
    return '1.1.0';
  }
}

/** Validates one invocation; throws a CniError with the spec's code. Changes nothing. */
export function parseRequest(env: Record<string, string | undefined>, stdin: string): Request {
  const command = env.CNI_COMMAND as Command;
  if (!command) throw new CniError(CODES.INVALID_ENVIRONMENT, 'CNI_COMMAND is not set', `set CNI_COMMAND to one of ${COMMANDS.join(', ')}`);
  if (!COMMANDS.includes(command))
    throw new CniError(CODES.INVALID_ENVIRONMENT, `CNI_COMMAND=${command} is not a CNI command`, `use one of ${COMMANDS.join(', ')}`);
  const raw = command === 'VERSION' && !stdin.trim() ? {} : decode(stdin);
  if (command === 'VERSION') {
    const v = typeof raw.cniVersion === 'string' ? raw.cniVersion : '1.1.0';
    return { command, cniVersion: v, containerId: '', netns: '', ifName: '', args: {}, conf: null, identity: {} };
  }
  const cniVersion = raw.cniVersion;
  if (typeof cniVersion !== 'string')
    throw new CniError(CODES.INVALID_CONFIG, 'cniVersion is missing from the network configuration', 'set "cniVersion": "1.1.0"');
  if (!(SUPPORTED_VERSIONS as readonly string[]).includes(cniVersion))
    throw new CniError(CODES.INCOMPATIBLE_VERSION, `cniVersion ${cniVersion} is not supported`, `weft-cni supports ${SUPPORTED_VERSIONS.join(', ')}`);
  if ((command === 'STATUS' || command === 'GC') && cniVersion !== '1.1.0')
    throw new CniError(CODES.INCOMPATIBLE_VERSION, `${command} needs cniVersion 1.1.0, the configuration has ${cniVersion}`, 'add "1.1.0" to cniVersions');

  const missing = requiredEnv(command).filter((k) => !env[k]);
  if (missing.length)
    throw new CniError(CODES.INVALID_ENVIRONMENT, `${command} needs ${missing.join(', ')}`, `missing environment variables: ${missing.join(', ')}`);
  const containerId = env.CNI_CONTAINERID ?? '';
  const ifName = env.CNI_IFNAME ?? '';
  const netns = env.CNI_NETNS ?? '';
  if (containerId && !CONTAINER_ID.test(containerId))
    throw new CniError(
      CODES.INVALID_ENVIRONMENT,
      `CNI_CONTAINERID=${containerId} is not a valid container id`,
      'letters, digits, _ . -, starting with a letter or digit',
    );
  if (ifName && !validIfName(ifName))
    throw new CniError(CODES.INVALID_ENVIRONMENT, `CNI_IFNAME=${ifName} is not a valid interface name`, 'at most 15 characters, no whitespace, / or :');
  if (netns && !netns.startsWith('/'))
    throw new CniError(CODES.INVALID_ENVIRONMENT, `CNI_NETNS=${netns} is not an absolute path`, 'pass the path of the network namespace');
  const args = parseCniArgs(env.CNI_ARGS);
  const conf = parseConf(raw, cniVersion, command);
  const identity = command === 'ADD' ? identityOf(args, raw.runtimeConfig) : {};
  return { command, cniVersion, containerId, netns, ifName, args, conf, identity };
}

function requiredEnv(command: Command): string[] {
  if (command === 'ADD' || command === 'CHECK') return ['CNI_CONTAINERID', 'CNI_NETNS', 'CNI_IFNAME'];
  if (command === 'DEL') return ['CNI_CONTAINERID', 'CNI_IFNAME'];
  return [];
}

function decode(stdin: string): Record<string, unknown> {
  let raw: unknown;
  try {
    raw = JSON.parse(stdin);
  } catch (e) {
    throw new CniError(CODES.DECODING_FAILURE, 'the network configuration on stdin is not JSON', (e as Error).message);
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw))
    throw new CniError(CODES.DECODING_FAILURE, 'the network configuration on stdin is not a JSON object');
  return raw as Record<string, unknown>;
}

function parseConf(raw: Record<string, unknown>, cniVersion: string, command: Command): PluginConf {
  for (const [k, v] of Object.entries(raw)) {
    if (KNOWN_KEYS.has(k) || k.startsWith('cni.dev/')) continue;
    if (k === 'ipam')
      throw new CniError(CODES.UNSUPPORTED_FIELD, `unsupported field ipam=${JSON.stringify(v)}`, 'remove "ipam": the Weft API allocates every address');
    throw new CniError(CODES.UNSUPPORTED_FIELD, `unsupported field ${k}=${JSON.stringify(v)}`, 'weft-cni takes "network", "socket" and "timeoutMs"');
  }
  const bad = (what: string, fix: string) => new CniError(CODES.INVALID_CONFIG, what, fix);
  if (typeof raw.name !== 'string' || !NETWORK_NAME.test(raw.name))
    throw bad(`name=${JSON.stringify(raw.name)} is not a valid network name`, 'letters, digits, _ . -');
  if (raw.type !== PLUGIN_TYPE) throw bad(`type=${JSON.stringify(raw.type)} is not ${PLUGIN_TYPE}`, `set "type": "${PLUGIN_TYPE}"`);
  if (typeof raw.network !== 'string' || !WEFT_NETWORK.test(raw.network))
    throw bad(`network=${JSON.stringify(raw.network)} is not a Weft network id`, 'set "network" to the pn-… id of the network');
  const socket = raw.socket ?? DEFAULT_SOCKET;
  if (typeof socket !== 'string' || !socket.startsWith('/'))
    throw bad(`socket=${JSON.stringify(raw.socket)} is not an absolute path`, "set it to the agent's attach socket");
  const timeoutMs = raw.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (typeof timeoutMs !== 'number' || !Number.isInteger(timeoutMs) || timeoutMs < 0 || timeoutMs > 600_000)
    throw bad(`timeoutMs=${JSON.stringify(raw.timeoutMs)} is not an integer from 0 to 600000`, 'how long ADD waits for the agent, in ms');
  const conf: PluginConf = { cniVersion, name: raw.name, network: raw.network, socket, timeoutMs };
  if (raw.prevResult !== undefined) conf.prevResult = parseResult(raw.prevResult);
  if (command === 'CHECK' && !conf.prevResult) throw bad('CHECK needs prevResult', "the runtime must pass the ADD's result as prevResult");
  if (command === 'GC') conf.validAttachments = parseAttachments(raw['cni.dev/valid-attachments'] ?? raw['cni.dev/attachments'] ?? []);
  return conf;
}

function parseResult(v: unknown): Result {
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new CniError(CODES.DECODING_FAILURE, 'prevResult is not a JSON object');
  const r = v as Result;
  for (const k of ['interfaces', 'ips', 'routes'] as const)
    if (r[k] !== undefined && !Array.isArray(r[k])) throw new CniError(CODES.DECODING_FAILURE, `prevResult.${k} is not a list`);
  return r;
}

function parseAttachments(v: unknown): { containerId: string; ifName: string }[] {
  if (!Array.isArray(v)) throw new CniError(CODES.INVALID_CONFIG, 'cni.dev/valid-attachments is not a list', 'a list of {containerID, ifname}');
  return v.map((a, i) => {
    const o = a as { containerID?: unknown; ifname?: unknown };
    if (typeof o?.containerID !== 'string' || typeof o.ifname !== 'string')
      throw new CniError(CODES.INVALID_CONFIG, `cni.dev/valid-attachments[${i}] lacks containerID or ifname`, JSON.stringify(a));
    return { containerId: o.containerID, ifName: o.ifname };
  });
}

/**
 * Which Weft container an ADD means (docs/cni.md): CNI_ARGS WEFT_CONTAINER_ID, else a runtime
 * container named `ctr-…` (K8S_POD_NAME, which podman sets to the container's name); its IP (CNI_ARGS
 * IP, which `podman --ip` sets, or the `ips` capability) and MAC (CNI_ARGS MAC from
 * `--mac-address`, or the `mac` capability). The agent checks that all given agree.
 */
export function identityOf(args: Record<string, string>, runtimeConfig: unknown): Identity {
  const rc = (runtimeConfig && typeof runtimeConfig === 'object' ? runtimeConfig : {}) as { ips?: unknown; mac?: unknown };
  const out: Identity = {};
  const id = args.WEFT_CONTAINER_ID ?? (WEFT_CONTAINER.test(args.K8S_POD_NAME ?? '') ? args.K8S_POD_NAME : undefined);
  if (id !== undefined) {
    if (!WEFT_CONTAINER.test(id))
      throw new CniError(
        CODES.INVALID_ENVIRONMENT,
        `CNI_ARGS WEFT_CONTAINER_ID=${id} is not a Weft container id`,
        'pass the ctr-… id the API gave the container',
      );
    out.containerId = id;
  }
  if (rc.ips !== undefined && (!Array.isArray(rc.ips) || rc.ips.some((x) => typeof x !== 'string')))
    throw new CniError(CODES.INVALID_CONFIG, `runtimeConfig.ips=${JSON.stringify(rc.ips)} is not a list of addresses`);
  const ips = [args.IP, ...((rc.ips as string[] | undefined) ?? [])].filter((x): x is string => !!x).map((x) => x.split('/')[0]);
  if (new Set(ips).size > 1)
    throw new CniError(CODES.IDENTITY, `several IPs given (${[...new Set(ips)].join(', ')})`, 'a Weft container has exactly one IP in a network');
  if (ips[0] !== undefined) {
    if (!IPV4.test(ips[0]))
      throw new CniError(CODES.INVALID_ENVIRONMENT, `IP ${ips[0]} is not an IPv4 address`, 'Weft networks are IPv4: pass the IP the API allocated');
    out.ip = ips[0];
  }
  const mac = args.MAC ?? (typeof rc.mac === 'string' ? rc.mac : undefined);
  if (mac !== undefined) {
    if (!MAC.test(mac))
      throw new CniError(CODES.INVALID_ENVIRONMENT, `MAC ${mac} is not a MAC address`, 'pass the MAC the API allocated, e.g. 02:00:0a:f0:00:05');
    out.mac = mac.toLowerCase();
  }
  if (!out.containerId && !out.ip && !out.mac)
    throw new CniError(
      CODES.IDENTITY,
      'no Weft container given',
      'pass the MAC the API allocated (podman --mac-address), its IP (--ip), CNI_ARGS WEFT_CONTAINER_ID=ctr-…, or name the container ctr-…',
    );
  return out;
}

/** The network address of `ip`/`prefixLen` as a CIDR. */
export function cidrOf(ip: string, prefixLen: number): string {
  const n = ip.split('.').reduce((a, b) => a * 256 + Number(b), 0);
  const net = n - (n % 2 ** (32 - prefixLen));
  return `${[24, 16, 8, 0].map((s) => Math.floor(net / 2 ** s) % 256).join('.')}/${prefixLen}`;
}

/**
 * The ADD result in `cniVersion`: the interface in the container (MAC, MTU from 1.1.0, sandbox), its
 * IP with the gateway, the network's route, and the gateway as the nameserver. A `prevResult` (weft-cni
 * placed after another interface plugin) is kept, with this attachment appended.
 */
export function addResult(cniVersion: string, a: AttachResult, netns: string, prev?: Result): Result {
  const iface: NonNullable<Result['interfaces']>[number] = { name: a.interface, mac: a.mac, sandbox: netns };
  if (cniVersion === '1.1.0') iface.mtu = a.mtu;
  const interfaces = [...(prev?.interfaces ?? []), iface];
  const ip: NonNullable<Result['ips']>[number] = { address: `${a.ip}/${a.prefixLen}`, gateway: a.gateway, interface: interfaces.length - 1 };
  const ips = [...(prev?.ips ?? []), cniVersion === '0.4.0' ? { version: '4', ...ip } : ip];
  const routes = [...(prev?.routes ?? []), { dst: cidrOf(a.ip, a.prefixLen) }];
  const nameservers = [a.resolver, ...(prev?.dns?.nameservers ?? []).filter((n) => n !== a.resolver)];
  return { cniVersion, interfaces, ips, routes, dns: { ...prev?.dns, nameservers } };
}

/** The VERSION result. */
export function versionResult(cniVersion: string): { cniVersion: string; supportedVersions: string[] } {
  return { cniVersion, supportedVersions: [...SUPPORTED_VERSIONS] };
}

/** CHECK: what in `prev` (the ADD result the runtime kept) disagrees with the agent's attachment; empty when all is well. */
export function checkPrevResult(prev: Result, a: AttachResult, ifName: string, netns: string): string[] {
  const problems: string[] = [];
  const i = (prev.interfaces ?? []).findIndex((x) => x.name === ifName && x.sandbox === netns);
  if (i < 0) problems.push(`prevResult has no interface ${ifName} in ${netns}`);
  else if (prev.interfaces![i].mac?.toLowerCase() !== a.mac.toLowerCase())
    problems.push(`interface ${ifName} has MAC ${prev.interfaces![i].mac}, the agent has ${a.mac}`);
  const want = `${a.ip}/${a.prefixLen}`;
  if (!(prev.ips ?? []).some((x) => x.address === want && (i < 0 || x.interface === undefined || x.interface === i)))
    problems.push(`prevResult has no address ${want} on ${ifName}`);
  return problems;
}
