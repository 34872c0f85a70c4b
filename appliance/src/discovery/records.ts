// The DNS records one network interface announces, built from plain values.

import { DEVICE_INFO_SERVICE, DEVICE_MODEL, HEARTH_SERVICE, HTTP_SERVICE, SERVICE_TYPES, SMB_SERVICE, serviceFqdn } from './names.js';

/** A resource record in the shape dns-packet (under multicast-dns) encodes and decodes. */
export type MdnsRecord =
  | { name: string; type: 'PTR'; ttl: number; data: string; flush?: boolean }
  | { name: string; type: 'SRV'; ttl: number; data: { port: number; target: string; priority?: number; weight?: number }; flush?: boolean }
  | { name: string; type: 'TXT'; ttl: number; data: string | Buffer | Array<string | Buffer>; flush?: boolean }
  | { name: string; type: 'A' | 'AAAA'; ttl: number; data: string; flush?: boolean };

/** Any record as it arrives from the network (other types too, e.g. NSEC or HINFO). */
export interface WireRecord {
  name: string;
  type: string;
  ttl: number;
  data: unknown;
  flush?: boolean;
}

// RFC 6762 section 10: names tied to a host (SRV, A, AAAA) live 120 s, the others 75 minutes.
export const HOST_TTL = 120;
export const OTHER_TTL = 4500;

export interface AnnouncedService {
  /** The instance label that won probing, e.g. "Kitchen" or "Kitchen (2)". */
  instance: string;
  /** SRV target: always the factory name, so clients keep working after a custom name changes. */
  target: string;
  port: number;
  httpTxt: string[];
  hearthTxt: string[];
  /** The SMB port while at least one share is on the network and smbd runs, else null (not announced). */
  smbPort?: number | null;
}

/** PTR, SRV and TXT for `_http._tcp` and `_hearth._tcp`, plus the DNS-SD service-type enumeration. */
export function serviceRecords(s: AnnouncedService): MdnsRecord[] {
  const out: MdnsRecord[] = [];
  for (const type of SERVICE_TYPES) {
    const fqdn = serviceFqdn(s.instance, type);
    out.push(
      { name: '_services._dns-sd._udp.local', type: 'PTR', ttl: OTHER_TTL, data: type },
      { name: type, type: 'PTR', ttl: OTHER_TTL, data: fqdn },
      { name: fqdn, type: 'SRV', ttl: HOST_TTL, data: { priority: 0, weight: 0, port: s.port, target: s.target }, flush: true },
      { name: fqdn, type: 'TXT', ttl: OTHER_TTL, data: type === HTTP_SERVICE ? s.httpTxt : type === HEARTH_SERVICE ? s.hearthTxt : [], flush: true },
    );
  }
  if (s.smbPort) {
    const fqdn = serviceFqdn(s.instance, SMB_SERVICE);
    out.push(
      { name: '_services._dns-sd._udp.local', type: 'PTR', ttl: OTHER_TTL, data: SMB_SERVICE },
      { name: SMB_SERVICE, type: 'PTR', ttl: OTHER_TTL, data: fqdn },
      { name: fqdn, type: 'SRV', ttl: HOST_TTL, data: { priority: 0, weight: 0, port: s.smbPort, target: s.target }, flush: true },
      { name: fqdn, type: 'TXT', ttl: OTHER_TTL, data: [], flush: true },
      { name: serviceFqdn(s.instance, DEVICE_INFO_SERVICE), type: 'TXT', ttl: OTHER_TTL, data: [`model=${DEVICE_MODEL}`], flush: true },
    );
  }
  return out;
}

/** A and AAAA for every host name the box answers to, with the addresses of one interface. */
export function addressRecords(hostNames: string[], ipv4: string[], ipv6: string[]): MdnsRecord[] {
  const out: MdnsRecord[] = [];
  for (const name of hostNames) {
    for (const a of ipv4) out.push({ name, type: 'A', ttl: HOST_TTL, data: a, flush: true });
    for (const a of ipv6) out.push({ name, type: 'AAAA', ttl: HOST_TTL, data: a, flush: true });
  }
  return out;
}

/** Identity of a record for diffing: name (case-folded), type and data; TTL and flush do not count. */
export function recordKey(r: MdnsRecord): string {
  const data = Array.isArray(r.data) ? r.data.map((d) => String(d)) : r.data;
  return `${r.type} ${r.name.replace(/[A-Z]/gu, (c) => c.toLowerCase())} ${JSON.stringify(data)}`;
}

/** The same records with TTL 0: "forget these now" (RFC 6762 section 10.1). */
export function goodbyes(records: MdnsRecord[]): MdnsRecord[] {
  return records.map((r) => ({ ...r, ttl: 0, flush: false }));
}
