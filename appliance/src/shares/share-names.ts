// Rules for share names and descriptions, shared by hearthd and the web UI (no Node imports here).

export const MAX_SHARE_NAME_LENGTH = 64;
export const MAX_SHARE_DESCRIPTION_LENGTH = 200;

/** Names Samba gives a meaning of its own (sections and special shares), compared case-insensitively. */
export const RESERVED_SHARE_NAMES = ['global', 'globals', 'homes', 'printers', 'print$', 'ipc$', 'admin$', 'netlogon', 'sysvol'] as const;

export type ShareNameCheck = { ok: true; value: string } | { ok: false; error: string };

/**
 * A share's name: also its SMB name and, for shares Hearth makes, its folder name.
 * Trimmed and NFC-normalised; 1 to 64 characters; none of / \ : * ? " < > | [ ] = ; , + NUL or control
 * characters (Windows and Samba refuse them); not "." or ".."; not starting with a dot (hidden folder);
 * not a name Samba reserves; not the name of another share, ignoring case (SMB names are case-insensitive).
 */
export function checkShareName(input: unknown, existing: readonly string[] = [], renaming?: string): ShareNameCheck {
  if (typeof input !== 'string') return { ok: false, error: 'The share name must be text.' };
  const value = input.normalize('NFC').trim();
  if (value.length === 0) return { ok: false, error: 'Give the share a name, such as Inbox.' };
  if (value.length > MAX_SHARE_NAME_LENGTH) {
    return { ok: false, error: `The share name is too long (${value.length} characters); use at most ${MAX_SHARE_NAME_LENGTH}.` };
  }
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/u.test(value)) return { ok: false, error: 'The share name cannot contain control characters.' };
  const bad = value.match(/[/\\:*?"<>|[\]=;,+%]/u);
  if (bad) return { ok: false, error: `The share name cannot contain "${bad[0]}"; use letters, digits, spaces, - or _.` };
  if (value === '.' || value === '..' || value.includes('..')) return { ok: false, error: 'The share name cannot contain "..".' };
  if (value.startsWith('.')) return { ok: false, error: 'The share name cannot start with a dot (that would be a hidden folder).' };
  if (value.endsWith('.')) return { ok: false, error: 'The share name cannot end with a dot (Windows drops it).' };
  const folded = value.toLowerCase();
  if ((RESERVED_SHARE_NAMES as readonly string[]).includes(folded)) {
    return { ok: false, error: `"${value}" is a name Samba reserves for itself; choose another name.` };
  }
  const clash = existing.find((n) => n.toLowerCase() === folded && n !== renaming);
  if (clash !== undefined) {
    return { ok: false, error: clash === value ? `There is already a share named "${clash}".` : `There is already a share named "${clash}" (share names ignore upper and lower case).` };
  }
  return { ok: true, value };
}

export function checkShareDescription(input: unknown): ShareNameCheck {
  if (input === undefined || input === null) return { ok: true, value: '' };
  if (typeof input !== 'string') return { ok: false, error: 'The description must be text.' };
  const value = input.normalize('NFC').trim().replace(/\s+/gu, ' ');
  if (value.length > MAX_SHARE_DESCRIPTION_LENGTH) {
    return { ok: false, error: `The description is too long (${value.length} characters); use at most ${MAX_SHARE_DESCRIPTION_LENGTH}.` };
  }
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/u.test(value)) return { ok: false, error: 'The description cannot contain control characters.' };
  return { ok: true, value };
}
