import { scrypt as scryptCb, randomBytes, randomInt, timingSafeEqual, createHash, type ScryptOptions } from 'node:crypto';

const scrypt = (password: string, salt: Buffer, keylen: number, options: ScryptOptions): Promise<Buffer> =>
  new Promise((resolve, reject) => scryptCb(password, salt, keylen, options, (err, key) => (err ? reject(err) : resolve(key))));

// N=2^15, r=8: about 32 MiB and tens of milliseconds per hash on a small box.
const PARAMS = { N: 1 << 15, r: 8, p: 1 } as const;
const KEYLEN = 32;

/** Hash a secret as `scrypt$N$r$p$salt$key` (base64url), the format verifySecret reads. */
export async function hashSecret(secret: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scrypt(secret.normalize('NFC'), salt, KEYLEN, { ...PARAMS, maxmem: 64 * 1024 * 1024 });
  return ['scrypt', PARAMS.N, PARAMS.r, PARAMS.p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

/** Constant-time check of a secret against a stored hash; false for malformed hashes. */
export async function verifySecret(secret: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [, n, r, p, saltText, keyText] = parts as [string, string, string, string, string, string];
  const expected = Buffer.from(keyText, 'base64url');
  const actual = await scrypt(secret.normalize('NFC'), Buffer.from(saltText, 'base64url'), expected.length, {
    N: Number(n),
    r: Number(r),
    p: Number(p),
    maxmem: 64 * 1024 * 1024,
  });
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

export const sha256Hex = (text: string): string => createHash('sha256').update(text).digest('hex');

export const randomToken = (bytes = 32): string => randomBytes(bytes).toString('base64url');

/** No 0/O, 1/I/L: a code read off a console or a sticker is typed back right the first time. */
export const SETUP_CODE_ALPHABET = '23456789ABCDEFGHJKMNPQRSTUVWXYZ';
export const SETUP_CODE_LENGTH = 8;

export function generateSetupCode(): string {
  let code = '';
  for (let i = 0; i < SETUP_CODE_LENGTH; i++) code += SETUP_CODE_ALPHABET[randomInt(SETUP_CODE_ALPHABET.length)];
  return code;
}

/** "K7QM2XPD" -> "K7QM-2XPD" */
export const groupSetupCode = (code: string): string => `${code.slice(0, 4)}-${code.slice(4)}`;

/** What a person typed -> the canonical code, or null if it cannot be one (wrong length or letters). */
export function normalizeSetupCode(input: string): string | null {
  if (input.length > 64) return null;
  const code = input.toUpperCase().replace(/[\s-]/g, '');
  if (code.length !== SETUP_CODE_LENGTH) return null;
  for (const ch of code) if (!SETUP_CODE_ALPHABET.includes(ch)) return null;
  return code;
}
