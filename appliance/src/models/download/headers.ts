/** Pure parsing of the HTTP headers a resumable, verified download depends on. */

export type ContentRange =
  | { kind: 'range'; start: number; end: number; total: number | null }
  /** `bytes *\/total`, sent with 416 when the asked-for range starts at or past the end */
  | { kind: 'unsatisfied'; total: number };

/** Parse `Content-Range: bytes 100-199/200` (or `/*` for an unknown total, or `bytes *\/200`). null when malformed. */
export function parseContentRange(value: string | undefined | null): ContentRange | null {
  if (!value) return null;
  const unsatisfied = /^\s*bytes\s+\*\s*\/\s*(\d+)\s*$/i.exec(value);
  if (unsatisfied) {
    const total = parseByteCount(unsatisfied[1]);
    return total === null ? null : { kind: 'unsatisfied', total };
  }
  const m = /^\s*bytes\s+(\d+)\s*-\s*(\d+)\s*\/\s*(\d+|\*)\s*$/i.exec(value);
  if (!m) return null;
  const start = parseByteCount(m[1]);
  const end = parseByteCount(m[2]);
  const total = m[3] === '*' ? null : parseByteCount(m[3]);
  if (start === null || end === null || end < start) return null;
  if (m[3] !== '*' && (total === null || end >= total)) return null;
  return { kind: 'range', start, end, total };
}

/** A non-negative whole number of bytes (Content-Length, X-Linked-Size); null when absent or malformed. */
export function parseByteCount(value: string | undefined | null): number | null {
  if (value === undefined || value === null) return null;
  const v = value.trim();
  if (!/^\d{1,16}$/.test(v)) return null;
  const n = Number(v);
  return Number.isSafeInteger(n) ? n : null;
}

/**
 * The sha256 in Hugging Face's `X-Linked-Etag` (`"<64 hex>"`, sometimes weak-prefixed).
 * Files not stored in LFS get a git blob sha1 there instead, which is no sha256: null.
 */
export function parseLinkedSha256(value: string | undefined | null): string | null {
  if (!value) return null;
  const v = value
    .trim()
    .replace(/^W\//i, '')
    .replace(/^"(.*)"$/, '$1')
    .trim()
    .toLowerCase();
  return /^[0-9a-f]{64}$/.test(v) ? v : null;
}

/** A strong ETag worth sending as If-Range; weak ones may not be used for byte ranges (RFC 9110 13.1.5). */
export function strongEtag(value: string | undefined | null): string | null {
  if (!value) return null;
  const v = value.trim();
  return /^"[^"]*"$/.test(v) ? v : null;
}

/** Does this Content-Type say the body is a web page (a login wall, an error page, a repo's file view)? */
export function isWebPage(contentType: string | undefined | null): boolean {
  if (!contentType) return false;
  const type = contentType.split(';')[0]!.trim().toLowerCase();
  return type === 'text/html' || type === 'application/xhtml+xml';
}

export const GGUF_MAGIC = Buffer.from('GGUF', 'ascii');

/** Judge the first bytes of a body: a GGUF file, a web page, or something else. */
export function classifyHead(head: Buffer): 'gguf' | 'web-page' | 'other' {
  if (head.length >= 4 && head.subarray(0, 4).equals(GGUF_MAGIC)) return 'gguf';
  const text = head.subarray(0, 512).toString('latin1').trimStart().toLowerCase();
  if (text.startsWith('<!doctype html') || text.startsWith('<html') || text.startsWith('<head') || text.startsWith('<body')) return 'web-page';
  return 'other';
}
