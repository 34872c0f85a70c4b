import { networkInterfaces } from 'node:os';
import type { ConfigStore } from '../config/config-store.js';
import type { Config } from '../config/schema.js';
import type { Device } from '../device/device.js';
import { factoryHostname } from '../device/names.js';
import type { Logger } from '../log.js';
import type { Module } from '../module.js';
import { VERSION } from '../version.js';
import { SERVICE_TYPES, conflictIndex, conflictName, hearthTxt, httpTxt, instanceBaseName, sameName, serviceFqdn } from './names.js';
import { addressRecords, serviceRecords, type MdnsRecord } from './records.js';
import { InterfaceResponder, type MdnsPacket, type RemoteInfo } from './responder.js';

export interface DiscoveryOptions {
  config: ConfigStore;
  device: Device;
  /** The HTTP port actually bound (known only after the http module started). */
  port: () => number;
  log: Logger;
  /** How often to look for new or changed interface addresses. */
  interfaceCheckMs?: number;
  /**
   * The address the HTTP server listens on. Nothing is announced where it cannot be reached:
   * loopback only means no announcements at all, one LAN address means only that address.
   */
  host: string;
  /** The SMB port to announce as _smb._tcp, or null while no share is on the network (or smbd is down). */
  smbPort?: () => number | null;
}

const DEFAULT_INTERFACE_CHECK_MS = 3_000;
const PROBE_ROUNDS = 3;
const PROBE_INTERVAL_MS = 250;
const MAX_CONFLICT_TRIES = 50;
const STOP_WAIT_MS = 500;

/** Addresses of one interface, as os.networkInterfaces() reports them (sorted, so snapshots compare). */
interface InterfaceAddresses {
  ipv4: string[];
  ipv6: string[];
  /** The address the mDNS socket sends from, when not the first of `ipv4`. */
  socket?: string;
}

/** Interfaces that can carry mDNS: not loopback, and not point-to-point tunnels without a MAC. */
export function lanInterfaces(): Map<string, InterfaceAddresses> {
  const out = new Map<string, InterfaceAddresses>();
  for (const [name, addrs] of Object.entries(networkInterfaces())) {
    for (const a of addrs ?? []) {
      if (a.internal || a.mac === '00:00:00:00:00:00') continue;
      const entry = out.get(name) ?? { ipv4: [], ipv6: [] };
      (a.family === 'IPv4' ? entry.ipv4 : entry.ipv6).push(a.address);
      out.set(name, entry);
    }
  }
  for (const e of out.values()) {
    e.ipv4.sort();
    e.ipv6.sort();
  }
  return out;
}

const isLoopback = (host: string): boolean => /^(127\.|::1$|localhost$|::ffff:127\.)/iu.test(host);
const isWildcard = (host: string): boolean => host === '' || host === '0.0.0.0' || host === '::' || host === '[::]';

/** The interfaces and addresses on which a server listening on `host` can be reached. */
export function servedInterfaces(all: Map<string, InterfaceAddresses>, host: string): Map<string, InterfaceAddresses> {
  if (isWildcard(host)) return all;
  const out = new Map<string, InterfaceAddresses>();
  if (isLoopback(host)) return out;
  for (const [name, a] of all) {
    if (!a.ipv4.includes(host) && !a.ipv6.includes(host)) continue;
    // The mDNS socket still needs the interface's IPv4 address; the records carry only `host`.
    out.set(name, { ipv4: a.ipv4.filter((x) => x === host), ipv6: a.ipv6.filter((x) => x === host), socket: a.ipv4[0] });
  }
  return out;
}

const snapshotKey = (m: Map<string, InterfaceAddresses>): string =>
  JSON.stringify([...m.entries()].sort(([a], [b]) => (a < b ? -1 : 1)));

function ownAddresses(): Set<string> {
  return new Set(
    Object.values(networkInterfaces())
      .flat()
      .flatMap((a) => (a ? [a.address] : [])),
  );
}

const sleep = (ms: number) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    t.unref();
  });

/** What the config says should be announced; the instance label itself is settled by probing. */
interface Wanted {
  base: string;
  factoryHost: string;
  customHost: string | null;
  hearthTxt: string[];
}

/**
 * mDNS (DNS-SD) announcements: `_http._tcp` and `_hearth._tcp` on the HTTP port, and the
 * box's host names, on every LAN interface. Probes before it claims a name and takes
 * "Name (2)", "Name (3)"... when another device has it; follows config changes and
 * network changes without a restart; says goodbye on stop. Network trouble is logged,
 * never thrown.
 */
export class Discovery implements Module {
  readonly name = 'discovery';
  private readonly log: Logger;
  private readonly responders = new Map<string, InterfaceResponder>();
  private interfacesKey = '';
  private pollTimer: NodeJS.Timeout | null = null;
  private work: Promise<void> = Promise.resolve();
  private queued = false;
  private stopping = false;
  /** The instance label that won probing, and the base it came from. */
  private instance: string | null = null;
  private instanceBase: string | null = null;
  /** Host names probed for on the current interfaces, and whether the custom one is free. */
  private probedHosts: string | null = null;
  private customHostTaken = false;
  /** Set when another device started answering for our instance name: probe again for a new one. */
  private conflictSeen = false;
  /** A name we gave up to another host: no goodbye for its PTR, which is identical to the winner's. */
  private surrendered: string | null = null;
  /** True while probing: answers naming our old label are expected then, not a new conflict. */
  private settling = false;
  private lastConflictReply = 0;
  private lastAnnounceLog = '';
  private readonly host: string;
  /** Network failures already logged (see InterfaceResponder). */
  private readonly reported = new Set<string>();

  constructor(private readonly options: DiscoveryOptions) {
    this.log = options.log;
    this.host = options.host.trim();
  }

  /** Announce what changed outside the config (e.g. the first network share): folded into one update. */
  refresh(): void {
    if (!isLoopback(this.host)) this.request();
  }

  /** The instance name in use on the network (after conflict renaming), or null before it is settled. */
  get announcedName(): string | null {
    return this.instance;
  }

  async start(): Promise<void> {
    this.stopping = false;
    if (isLoopback(this.host)) {
      this.log.info(`the web UI listens on ${this.host} only: not announcing it on the network`);
      return;
    }
    this.options.config.on('change', this.onConfigChange);
    const every = this.options.interfaceCheckMs ?? DEFAULT_INTERFACE_CHECK_MS;
    this.pollTimer = setInterval(() => this.checkInterfaces(), every);
    this.pollTimer.unref();
    // Probing takes about a second; the rest of hearthd need not wait for it.
    this.request();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.options.config.off('change', this.onConfigChange);
    if (this.pollTimer) clearInterval(this.pollTimer);
    this.pollTimer = null;
    await Promise.race([this.work, sleep(STOP_WAIT_MS)]); // a probe in flight notices `stopping` and ends early
    const all = [...this.responders.values()];
    this.responders.clear();
    await Promise.all(all.map((r) => r.close({ goodbye: true })));
    this.instance = null;
    this.instanceBase = null;
    this.probedHosts = null;
    this.interfacesKey = '';
  }

  private readonly onConfigChange = (next: Config, previous: Config): void => {
    if (
      next.device.name !== previous.device.name ||
      next.device.hostname !== previous.device.hostname ||
      next.setup.state !== previous.setup.state
    ) {
      this.request();
    }
  };

  private checkInterfaces(): void {
    const failed = [...this.responders.values()].some((r) => r.failed);
    if (failed || snapshotKey(servedInterfaces(lanInterfaces(), this.host)) !== this.interfacesKey) this.request();
  }

  /** Queue one reconcile; requests that arrive while one is queued are folded into it. */
  private request(): void {
    if (this.stopping || this.queued) return;
    this.queued = true;
    this.work = this.work.then(async () => {
      this.queued = false;
      if (this.stopping) return;
      try {
        await this.reconcile();
      } catch (err) {
        this.log.warn(`mDNS update failed: ${(err as Error).message}`);
      }
    });
  }

  private wanted(): Wanted {
    const c = this.options.config.data;
    return {
      base: instanceBaseName(c.device.name, c.device.suffix),
      factoryHost: `${factoryHostname(c.device.suffix)}.local`,
      customHost: c.device.hostname ? `${c.device.hostname}.local` : null,
      hearthTxt: hearthTxt({ id: c.device.id, version: VERSION, setup: c.setup.state }),
    };
  }

  /** Bring sockets, names and records in line with the interfaces and the config as they are now. */
  private async reconcile(): Promise<void> {
    const interfaces = servedInterfaces(lanInterfaces(), this.host);
    this.interfacesKey = snapshotKey(interfaces);
    const fresh = await this.syncResponders(interfaces);
    if (this.stopping) return;
    if (this.responders.size === 0) {
      // Nothing to announce on (no address yet, cable out); the interface check tries again.
      if (this.lastAnnounceLog !== 'none') this.log.info('no network address yet: will announce on mDNS when one appears');
      this.lastAnnounceLog = 'none';
      return;
    }

    const want = this.wanted();
    const hostsKey = JSON.stringify([want.factoryHost, want.customHost]);
    if (fresh || this.conflictSeen || want.base !== this.instanceBase || hostsKey !== this.probedHosts || this.instance === null) {
      this.settling = true;
      let settled: boolean;
      try {
        settled = await this.settleNames(want);
      } finally {
        this.settling = false;
      }
      if (!settled || this.stopping) return;
    }
    if (this.stopping || this.instance === null) return;

    const services = serviceRecords({
      instance: this.instance,
      target: want.factoryHost,
      port: this.options.port(),
      httpTxt: httpTxt(),
      hearthTxt: want.hearthTxt,
      smbPort: this.options.smbPort?.() ?? null,
    });
    const hosts = [want.factoryHost, ...(want.customHost && !this.customHostTaken ? [want.customHost] : [])];
    const surrendered = this.surrendered === this.instance ? null : this.surrendered;
    const lost = surrendered ? SERVICE_TYPES.map((t) => serviceFqdn(surrendered, t)) : [];
    // SRV and TXT carry our own data, so their goodbyes touch only our copies; the PTR does not.
    const noGoodbye = (rr: MdnsRecord) => rr.type === 'PTR' && lost.some((f) => sameName(rr.data, f));
    for (const r of this.responders.values()) {
      if (this.stopping) return;
      const a = interfaces.get(r.iface) ?? { ipv4: [], ipv6: [] };
      const records: MdnsRecord[] = [...services, ...addressRecords(hosts, a.ipv4, a.ipv6)];
      await r.update(records, { noGoodbye });
    }
    this.surrendered = null;
    const summary = `"${this.instance}" as ${hosts.join(', ')} on ${[...this.responders.values()].map((r) => `${r.iface} (${r.address})`).join(', ')}`;
    if (summary !== this.lastAnnounceLog) {
      this.lastAnnounceLog = summary;
      this.log.info(`announcing ${summary}`);
    }
  }

  /** One responder per interface with an IPv4 address; returns true when a new one was made. */
  private async syncResponders(interfaces: Map<string, InterfaceAddresses>): Promise<boolean> {
    for (const [name, r] of [...this.responders]) {
      const now = interfaces.get(name);
      const still = !!now && (now.socket === r.address || now.ipv4.includes(r.address));
      if (still && !r.failed) continue;
      this.responders.delete(name);
      // If the address is gone we cannot send from it; the new socket's cache-flush announcements replace it.
      await r.close({ goodbye: still });
      this.log.debug(`stopped mDNS on ${name} (${r.address})`);
    }
    let fresh = false;
    for (const [name, a] of interfaces) {
      const address = a.socket ?? a.ipv4[0];
      if (!address || this.responders.has(name) || this.stopping) continue;
      let r: InterfaceResponder;
      try {
        r = new InterfaceResponder(name, address, this.log, this.reported);
      } catch (err) {
        this.log.warn(`could not open an mDNS socket on ${name} (${address}): ${(err as Error).message}`);
        this.interfacesKey = ''; // try again at the next interface check
        continue;
      }
      r.on('response', (packet: MdnsPacket, rinfo: RemoteInfo) => this.watchForConflict(packet, rinfo));
      this.responders.set(name, r);
      fresh = true;
      this.log.debug(`mDNS on ${name} (${address})`);
    }
    return fresh;
  }

  /**
   * Probe (RFC 6762 section 8.1) for the instance label and the host names. Keeps the
   * current label when it is still free, otherwise takes the next "Base (n)".
   */
  private async settleNames(want: Wanted): Promise<boolean> {
    const sameBase = want.base === this.instanceBase && this.instance !== null;
    const current = sameBase ? Math.max(1, conflictIndex(want.base, this.instance!)) : 1;
    let n = this.conflictSeen ? current + 1 : current;
    if (this.conflictSeen && this.instance !== null) this.surrendered = this.instance;
    this.conflictSeen = false;
    const hostNames = [want.factoryHost, ...(want.customHost ? [want.customHost] : [])];
    let hostsChecked = false;
    for (let tries = 0; tries < MAX_CONFLICT_TRIES; tries++, n++) {
      const candidate = conflictName(want.base, n);
      const fqdns = SERVICE_TYPES.map((t) => serviceFqdn(candidate, t));
      const taken = await this.probe(hostsChecked ? fqdns : [...fqdns, ...hostNames]);
      if (this.stopping) return false;
      if (!hostsChecked) {
        hostsChecked = true;
        this.customHostTaken = !!want.customHost && taken.has(want.customHost);
        if (this.customHostTaken) this.log.warn(`another device already answers as ${want.customHost}; answering only as ${want.factoryHost}`);
        if (taken.has(want.factoryHost)) this.log.warn(`another device also answers as ${want.factoryHost}`);
      }
      if (fqdns.some((f) => taken.has(f))) {
        this.log.info(`the name "${candidate}" is already in use on the network; trying "${conflictName(want.base, n + 1)}"`);
        continue;
      }
      if (this.instance !== null && this.instance !== candidate) this.log.info(`renamed on the network: "${this.instance}" -> "${candidate}"`);
      this.instance = candidate;
      this.instanceBase = want.base;
      this.probedHosts = JSON.stringify([want.factoryHost, want.customHost]);
      return true;
    }
    this.log.error(`could not find a free mDNS name for "${want.base}" after ${MAX_CONFLICT_TRIES} tries`);
    return false;
  }

  /** Ask three times, 250 ms apart, who has these names; returns the ones another host answered for. */
  private async probe(names: string[]): Promise<Set<string>> {
    const taken = new Set<string>();
    const responders = [...this.responders.values()];
    const own = ownAddresses();
    const onResponse = (packet: MdnsPacket, rinfo: RemoteInfo) => {
      if (own.has(rinfo.address)) return; // our own answers, looped back or from our other interfaces
      for (const rr of [...(packet.answers ?? []), ...(packet.additionals ?? [])]) {
        if (rr.ttl === 0) continue; // a goodbye is not a claim
        const hit = names.find((n) => sameName(n, rr.name));
        if (hit) taken.add(hit);
      }
    };
    for (const r of responders) r.on('response', onResponse);
    try {
      await sleep(Math.random() * PROBE_INTERVAL_MS);
      for (let round = 0; round < PROBE_ROUNDS && !this.stopping; round++) {
        await Promise.all(responders.map((r) => r.query(names.map((name) => ({ name, type: 'ANY' })))));
        await sleep(PROBE_INTERVAL_MS);
        if (taken.size > 0) break;
      }
    } finally {
      for (const r of responders) r.off('response', onResponse);
    }
    return taken;
  }

  /**
   * Another host announcing our instance name after we settled (both probed at the same
   * moment, or it does not probe at all): the box with the lexicographically lower host
   * name moves to the next "Name (n)", the other re-asserts its records.
   */
  private watchForConflict(packet: MdnsPacket, rinfo: RemoteInfo): void {
    const instance = this.instance;
    if (instance === null || this.stopping || this.conflictSeen || this.settling) return;
    const fqdns = SERVICE_TYPES.map((t) => serviceFqdn(instance, t));
    const targetOf = (rr: { data: unknown }) => String((rr.data as { target?: unknown } | null)?.target ?? '');
    const claims = [...(packet.answers ?? []), ...(packet.additionals ?? [])].filter(
      (rr) => rr.type === 'SRV' && rr.ttl > 0 && fqdns.some((f) => sameName(f, rr.name)),
    );
    if (claims.length === 0) return;
    const ours = this.wanted().factoryHost;
    const clash = claims.find((rr) => !sameName(targetOf(rr), ours));
    if (!clash || ownAddresses().has(rinfo.address)) return;
    const theirs = targetOf(clash).toLowerCase();
    if (theirs > ours.toLowerCase()) {
      this.log.info(`another device (${rinfo.address}) announces "${instance}" too; moving to a new name`);
      this.conflictSeen = true;
      this.request();
    } else if (Date.now() - this.lastConflictReply > 1_000) {
      this.lastConflictReply = Date.now();
      for (const r of this.responders.values()) r.announce();
    }
  }
}
