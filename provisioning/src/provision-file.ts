// hearth-provision.json: settings a person (or `hearth flash --provision`) puts on the boot
// partition, applied once at first boot. The whole file is checked before anything is applied.

import { z } from 'zod';
import { checkHostname } from '../../appliance/src/device/names.js';
import { groupSetupCode, normalizeSetupCode } from '../../appliance/src/auth/secrets.js';

export const PROVISION_FILE = 'hearth-provision.json';
export const FACTORY_RESET_FILE = 'hearth-factory-reset';
export const RESET_PASSWORD_FILE = 'hearth-reset-password';

const SSH_KEY = /^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)|sk-ssh-ed25519@openssh\.com|sk-ecdsa-sha2-nistp256@openssh\.com) [A-Za-z0-9+/]+={0,3}( [^\r\n]*)?$/;

/** IANA zone names as the system knows them; Intl is the check that needs no zoneinfo files. */
function validTimeZone(tz: string): boolean {
  if (!/^[A-Za-z0-9_+\-]+(\/[A-Za-z0-9_+\-]+)*$/.test(tz)) return false;
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

const provisionSchema = z
  .object({
    hostname: z.string().optional(),
    timezone: z.string().optional(),
    sshAuthorizedKeys: z.union([z.string(), z.array(z.string())]).optional(),
    setupCode: z.string().optional(),
    wifi: z
      .object({
        ssid: z.string(),
        password: z.string().optional(),
        country: z.string().optional(),
      })
      .strict()
      .optional(),
    /** Written by the box after applying: when, and which fields were applied. */
    applied: z.object({ at: z.string(), fields: z.array(z.string()) }).optional(),
  })
  .strict();

export interface Provision {
  hostname?: string;
  timezone?: string;
  sshAuthorizedKeys?: string[];
  /** Grouped form, "K7QM-2XPD". */
  setupCode?: string;
  wifi?: { ssid: string; password?: string; country?: string };
  applied?: { at: string; fields: string[] };
}

export type ProvisionCheck = { ok: true; value: Provision } | { ok: false; errors: string[] };

const FIELD_HELP = 'Allowed fields: hostname, timezone, sshAuthorizedKeys, setupCode, wifi { ssid, password, country }.';

/** Check a provisioning file's text; every problem is listed, in words a person can act on. */
export function parseProvisionFile(text: string): ProvisionCheck {
  let raw: unknown;
  try {
    raw = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (err) {
    return { ok: false, errors: [`${PROVISION_FILE} is not valid JSON (${(err as Error).message}). Check for a missing comma or quote.`] };
  }
  const parsed = provisionSchema.safeParse(raw);
  if (!parsed.success) {
    return {
      ok: false,
      errors: parsed.error.issues.map((i) => {
        const where = i.path.length ? i.path.join('.') : 'the file';
        if (i.code === 'unrecognized_keys') return `Unknown field${i.keys.length > 1 ? 's' : ''} ${i.keys.map((k) => `"${k}"`).join(', ')}${i.path.length ? ` in ${where}` : ''}. ${FIELD_HELP}`;
        if (i.code === 'invalid_type') return `${where} has the wrong type: ${where === 'the file' ? 'it must be a JSON object' : i.message}.`;
        return `${where}: ${i.message}.`;
      }),
    };
  }
  const p = parsed.data;
  const errors: string[] = [];
  const value: Provision = {};
  if (p.hostname !== undefined) {
    const h = checkHostname(p.hostname);
    if (!h.ok) errors.push(`hostname: ${h.error}`);
    else if (h.value !== p.hostname.trim().toLowerCase().replace(/\.local\.?$/, '')) errors.push(`hostname: "${p.hostname}" is not a valid host name; use letters a to z, digits and hyphens, for example "${h.value}".`);
    else if (h.value) value.hostname = h.value;
  }
  if (p.timezone !== undefined) {
    if (!validTimeZone(p.timezone)) errors.push(`timezone: "${p.timezone}" is not a time zone name; use one like "Europe/Berlin" or "America/New_York".`);
    else value.timezone = p.timezone;
  }
  if (p.sshAuthorizedKeys !== undefined) {
    const keys = (Array.isArray(p.sshAuthorizedKeys) ? p.sshAuthorizedKeys : p.sshAuthorizedKeys.split('\n')).map((k) => k.trim()).filter(Boolean);
    keys.forEach((k, i) => {
      if (!SSH_KEY.test(k)) errors.push(`sshAuthorizedKeys[${i}]: "${k.slice(0, 30)}…" is not an SSH public key; paste a line from a .pub file, such as ~/.ssh/id_ed25519.pub.`);
    });
    if (keys.length) value.sshAuthorizedKeys = keys;
  }
  if (p.setupCode !== undefined) {
    const code = normalizeSetupCode(p.setupCode);
    if (!code) errors.push('setupCode: a setup code is 8 letters and digits, like "K7QM-2XPD" (no 0, 1, I, L or O).');
    else value.setupCode = groupSetupCode(code);
  }
  if (p.wifi !== undefined) {
    const { ssid, password, country } = p.wifi;
    const ssidBytes = Buffer.byteLength(ssid, 'utf8');
    if (ssidBytes < 1 || ssidBytes > 32) errors.push(`wifi.ssid: a Wi-Fi network name is 1 to 32 bytes; "${ssid}" is ${ssidBytes}.`);
    if (password !== undefined && (password.length < 8 || password.length > 63 || /[^\x20-\x7e]/.test(password))) {
      errors.push('wifi.password: a WPA password is 8 to 63 printable characters (leave it out for an open network).');
    }
    if (country !== undefined && !/^[A-Z]{2}$/.test(country)) errors.push(`wifi.country: "${country}" is not a two-letter country code such as "DE" or "US".`);
    value.wifi = { ssid, ...(password !== undefined ? { password } : {}), ...(country !== undefined ? { country } : {}) };
  }
  if (p.applied) value.applied = p.applied;
  return errors.length ? { ok: false, errors } : { ok: true, value };
}

/** The file as left on the boot partition once applied: secrets gone, a record of what was done. */
export function afterApplying(p: Provision, fields: string[], at: Date): Provision {
  const kept: Provision = { ...p };
  delete kept.setupCode;
  if (kept.wifi) kept.wifi = { ssid: kept.wifi.ssid, ...(kept.wifi.country ? { country: kept.wifi.country } : {}) };
  kept.applied = { at: at.toISOString(), fields };
  return kept;
}
