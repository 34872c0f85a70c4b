// One mDNS socket per network interface, on top of bonjour-service's responder.

import { EventEmitter } from 'node:events';
import { Bonjour } from 'bonjour-service';
import type { Logger } from '../log.js';
import { goodbyes, recordKey, type MdnsRecord, type WireRecord } from './records.js';

export interface MdnsPacket {
  type: 'query' | 'response';
  questions: Array<{ name: string; type: string }>;
  answers: WireRecord[];
  additionals: WireRecord[];
  authorities: WireRecord[];
}

export interface RemoteInfo {
  address: string;
  port: number;
}

/** The parts of multicast-dns (the socket under bonjour-service) this module uses. */
interface MulticastDns extends EventEmitter {
  respond(res: { answers: MdnsRecord[]; additionals?: MdnsRecord[] }, cb?: (err?: Error | null) => void): void;
  query(q: { questions: Array<{ name: string; type: string }> }, cb?: (err?: Error | null) => void): void;
}

/** bonjour-service's internal server: it answers queries from its registry of records. */
interface BonjourServer {
  mdns: MulticastDns;
  register(records: MdnsRecord[]): void;
  unregister(records: MdnsRecord[]): void;
}

const SEND_TIMEOUT_MS = 400;

// Announce at once, then again (RFC 6762 section 8.3: at least twice, one second apart; a third for lossy Wi-Fi).
const ANNOUNCE_SCHEDULE_MS = [0, 1_000, 3_000];

/**
 * Answers and announces on one interface: a socket bound to 0.0.0.0:5353 that joins the
 * group and sends on this interface's address, so it needs no multicast route and no
 * default gateway. Emits 'response' (packet, rinfo) for probing and conflict checks.
 */
export class InterfaceResponder extends EventEmitter {
  private readonly bonjour: Bonjour;
  private readonly server: BonjourServer;
  private records: MdnsRecord[] = [];
  private timers: NodeJS.Timeout[] = [];
  private closed = false;
  /** Set when the socket cannot be used (e.g. port 5353 taken): the owner re-creates it later. */
  failed: Error | null = null;

  /**
   * `reported` is shared by the owner across sockets it re-creates, so a failure that repeats
   * on every retry (say, port 5353 held by another program) is logged once, not every few seconds.
   */
  constructor(
    readonly iface: string,
    readonly address: string,
    private readonly log: Logger,
    private readonly reported: Set<string> = new Set(),
  ) {
    super();
    // `interface` + `bind` go straight to multicast-dns; bonjour-service's own types do not list them.
    const socketOptions: Record<string, unknown> = { interface: address, bind: '0.0.0.0' };
    // Without our callback bonjour-service throws on a failed reply, which would take hearthd down.
    this.bonjour = new Bonjour(socketOptions, (err: Error) => this.report('reply', err));
    this.server = (this.bonjour as unknown as { server: BonjourServer }).server;
    const mdns = this.server.mdns;
    mdns.on('error', (err: Error) => {
      this.failed = err;
      this.report('socket', err);
    });
    mdns.on('warning', (err: Error) => this.report('warning', err, 'debug'));
    mdns.on('response', (packet: MdnsPacket, rinfo: RemoteInfo) => this.emit('response', packet, rinfo));
  }

  /**
   * Replace what this interface answers for. Records that went away get a goodbye (unless
   * `noGoodbye` says they now belong to another host); when anything changed, the whole set
   * is announced again with the cache-flush bit, which also replaces stale addresses and
   * TXT in other hosts' caches.
   */
  async update(next: MdnsRecord[], options: { noGoodbye?: (r: MdnsRecord) => boolean } = {}): Promise<{ changed: boolean }> {
    if (this.closed) return { changed: false };
    const nextKeys = new Set(next.map(recordKey));
    const prevKeys = new Set(this.records.map(recordKey));
    const removed = this.records.filter((r) => !nextKeys.has(recordKey(r)));
    const farewell = removed.filter((r) => !options.noGoodbye?.(r));
    const changed = removed.length > 0 || next.some((r) => !prevKeys.has(recordKey(r)));
    if (!changed) return { changed: false };
    // unregister() drops by name and type, so clear everything and register the new set.
    this.server.unregister(this.records);
    this.server.register(next);
    this.records = next;
    if (farewell.length > 0) await this.send(goodbyes(farewell));
    this.announce();
    return { changed: true };
  }

  /** (Re)start the announcement schedule for the current records. */
  announce(): void {
    this.clearTimers();
    for (const ms of ANNOUNCE_SCHEDULE_MS) {
      const t = setTimeout(() => void this.send(this.records), ms);
      t.unref();
      this.timers.push(t);
    }
  }

  /** Multicast a response; resolves (never rejects) once sent or failed, within a bound. */
  send(answers: MdnsRecord[]): Promise<void> {
    if (this.closed || answers.length === 0) return Promise.resolve();
    return this.bounded((done) =>
      this.server.mdns.respond({ answers }, (err) => {
        if (err) this.report('send', err);
        else this.forgetReports(); // working again: report the next failure anew
        done();
      }),
    );
  }

  query(questions: Array<{ name: string; type: string }>): Promise<void> {
    if (this.closed) return Promise.resolve();
    return this.bounded((done) =>
      this.server.mdns.query({ questions }, (err) => {
        if (err) this.report('query', err);
        done();
      }),
    );
  }

  /** Goodbye for everything we announced (when asked), then close the socket. */
  async close(options: { goodbye: boolean }): Promise<void> {
    if (this.closed) return;
    this.clearTimers();
    if (options.goodbye && this.records.length > 0 && !this.failed) await this.send(goodbyes(this.records));
    this.closed = true;
    this.server.unregister(this.records);
    this.records = [];
    await this.bounded((done) => {
      try {
        this.bonjour.destroy(() => done());
      } catch (err) {
        this.report('close', err as Error, 'debug');
        done();
      }
    });
    this.removeAllListeners();
  }

  private clearTimers(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers = [];
  }

  private bounded(run: (done: () => void) => void): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(resolve, SEND_TIMEOUT_MS);
      t.unref();
      try {
        run(() => {
          clearTimeout(t);
          resolve();
        });
      } catch (err) {
        this.report('send', err as Error);
        clearTimeout(t);
        resolve();
      }
    });
  }

  private forgetReports(): void {
    for (const key of this.reported) if (key.startsWith(`${this.iface} `)) this.reported.delete(key);
  }

  /** Network errors are logged, once per kind until the socket works again, never thrown. */
  private report(what: string, err: Error, level: 'warn' | 'debug' = 'warn'): void {
    const code = (err as NodeJS.ErrnoException).code ?? err.message;
    const key = `${this.iface} ${what}:${code}`;
    if (this.reported.has(key)) return;
    this.reported.add(key);
    this.log[level](`mDNS ${what} on ${this.iface} (${this.address}) failed: ${err.message}`);
  }
}
