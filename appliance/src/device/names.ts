// Naming rules shared by hearthd and the web UI (this file must stay free of Node imports).

/** mDNS labels are at most 63 bytes of UTF-8. */
export const MAX_LABEL_BYTES = 63;

export type NameCheck = { ok: true; value: string } | { ok: false; error: string };

const utf8Length = (s: string): number => new TextEncoder().encode(s).length;

/**
 * The box's display name, as announced over mDNS ("Kitchen Hearth").
 * Rule: surrounding space is trimmed and inner runs of space become one; it must then be
 * 1 to 63 bytes of UTF-8 (63 plain letters, fewer accented or non-Latin ones) with no
 * control characters. Anything else is refused, never silently cut.
 */
export function checkDeviceName(input: unknown): NameCheck {
  if (typeof input !== 'string') return { ok: false, error: 'The name must be text.' };
  const value = input.normalize('NFC').trim().replace(/\s+/gu, ' ');
  if (value.length === 0) return { ok: false, error: 'The name cannot be empty.' };
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/u.test(value)) return { ok: false, error: 'The name cannot contain control characters.' };
  const bytes = utf8Length(value);
  if (bytes > MAX_LABEL_BYTES) {
    return {
      ok: false,
      error: `The name is too long (${bytes} bytes); use at most ${MAX_LABEL_BYTES} bytes, that is 63 plain letters or fewer accented or non-Latin ones.`,
    };
  }
  return { ok: true, value };
}

/** "Küche Nord!" -> "kuche-nord": the host-name form of a name (letters, digits, hyphens). */
export function slugifyHostname(input: string): string {
  return input
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/gu, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/gu, '-')
    .replace(/^-+|-+$/gu, '')
    .slice(0, MAX_LABEL_BYTES)
    .replace(/-+$/u, '');
}

/** A custom host name such as "kitchen" (answered as kitchen.local); empty means none. */
export function checkHostname(input: unknown): NameCheck {
  if (input === null || input === undefined || input === '') return { ok: true, value: '' };
  if (typeof input !== 'string') return { ok: false, error: 'The host name must be text.' };
  const value = slugifyHostname(input.replace(/\.local\.?$/iu, ''));
  if (value.length === 0) {
    return { ok: false, error: 'The host name needs at least one letter or digit (a to z, 0 to 9).' };
  }
  if (/^hearth-[0-9a-f]{4}$/u.test(value)) {
    return { ok: false, error: `"${value}" looks like a factory name; choose another host name.` };
  }
  return { ok: true, value };
}

/** The factory host name every box answers to, from its 4-hex suffix. */
export const factoryHostname = (suffix: string): string => `hearth-${suffix}`;
