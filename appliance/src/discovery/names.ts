// Pure naming and TXT helpers for the mDNS announcements (no sockets here, so they are unit-testable).

import { MAX_LABEL_BYTES } from '../device/names.js';

/** The display name a new box has until its owner names it. */
export const DEFAULT_DEVICE_NAME = 'Hearth';

export const HTTP_SERVICE = '_http._tcp.local';
export const HEARTH_SERVICE = '_hearth._tcp.local';
export const SERVICE_TYPES = [HTTP_SERVICE, HEARTH_SERVICE] as const;
/** File sharing, announced only while a share is on the network. */
export const SMB_SERVICE = '_smb._tcp.local';
/** A TXT-only record Macs read to pick the icon shown for the box in Finder. */
export const DEVICE_INFO_SERVICE = '_device-info._tcp.local';
export const DEVICE_MODEL = 'Xserve';

const utf8 = (s: string): number => Buffer.byteLength(s, 'utf8');

/**
 * Cut `text` (by whole characters) so that `text + tail` fits one DNS label (63 bytes).
 * Our DNS encoder cannot escape a dot inside a label, so dots become the look-alike
 * U+2024 (one dot leader) instead of splitting the name into two labels.
 */
export function fitLabel(text: string, tail = ''): string {
  const budget = MAX_LABEL_BYTES - utf8(tail);
  let out = '';
  for (const ch of text.replace(/\./gu, '\u2024')) {
    if (utf8(out + ch) > budget) break;
    out += ch;
  }
  return out.trimEnd() + tail;
}

/** "Hearth (ab12)" while the box has its factory name, else the owner's name ("Kitchen"). */
export function instanceBaseName(deviceName: string, suffix: string): string {
  const name = deviceName.trim();
  return fitLabel(name === '' || name === DEFAULT_DEVICE_NAME ? `${DEFAULT_DEVICE_NAME} (${suffix})` : name);
}

/** The n-th choice for an instance name: the base for 1, then "Base (2)", "Base (3)"... */
export function conflictName(base: string, n: number): string {
  return n <= 1 ? fitLabel(base) : fitLabel(base, ` (${n})`);
}

/** Which n produced `name` from `base` (1 for the base itself), or 0 if it is not one of ours. */
export function conflictIndex(base: string, name: string): number {
  if (name === conflictName(base, 1)) return 1;
  const m = / \((\d+)\)$/u.exec(name);
  const n = m ? Number(m[1]) : 0;
  return n >= 2 && conflictName(base, n) === name ? n : 0;
}

/** Full service instance name: "Kitchen._hearth._tcp.local". */
export const serviceFqdn = (instance: string, type: string): string => `${instance}.${type}`;

export interface HearthTxtInput {
  id: string;
  version: string;
  setup: 'pending' | 'complete';
}

/** TXT of `_hearth._tcp`: what a Hearth app needs to tell boxes apart and to know where the API is. */
export function hearthTxt(input: HearthTxtInput): string[] {
  return [`id=${input.id}`, `version=${input.version}`, `setup=${input.setup}`, 'api=/api'];
}

/** TXT of `_http._tcp` (RFC 6763 section 7's `path` key): the web UI is at the root. */
export function httpTxt(): string[] {
  return ['path=/'];
}

/** DNS names compare case-insensitively (ASCII only, as in RFC 6762 section 16). */
export function sameName(a: string, b: string): boolean {
  const fold = (s: string) => s.replace(/\.$/u, '').replace(/[A-Z]/gu, (c) => c.toLowerCase());
  return fold(a) === fold(b);
}
