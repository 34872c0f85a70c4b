/** Decodes a text file: UTF-8 (BOM dropped), UTF-16 when it says so by its BOM, else Windows-1252. */
export function decodeText(bytes: Uint8Array): string {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return new TextDecoder('utf-16le').decode(bytes);
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return new TextDecoder('utf-16be').decode(bytes);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    // Not valid UTF-8: most likely an older Western file, which means Windows-1252.
    return decodeWindows1252(bytes);
  }
}

// Windows-1252's 0x80–0x9F (Latin-1 has controls there); the five unassigned bytes stay controls.
const CP1252_HIGH =
  '€\u0081‚ƒ„…†‡ˆ‰Š‹Œ\u008dŽ\u008f\u0090‘’“”•–—˜™š›œ\u009džŸ';

/**
 * Windows-1252 ("latin1" to browsers), done by hand: Node's TextDecoder accepts the label
 * but decodes 0x80–0x9F as ISO-8859-1 controls, losing curly quotes, dashes and the euro sign.
 */
export function decodeWindows1252(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    .toString('latin1')
    .replace(/[\u0080-\u009f]/g, (c) => CP1252_HIGH.charAt(c.charCodeAt(0) - 0x80));
}

/**
 * The first `maxBytes` of a text file, cut where no character is split, so a huge file
 * never becomes a huge string. UTF-16 (by BOM) is cut at an even byte.
 */
export function headBytes(bytes: Uint8Array, maxBytes: number): { bytes: Uint8Array; cut: boolean } {
  if (bytes.length <= maxBytes) return { bytes, cut: false };
  let end = maxBytes;
  const utf16 = (bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff);
  if (utf16) end -= end % 2;
  // Back off UTF-8 continuation bytes (10xxxxxx) so the fatal decoder sees whole characters.
  else for (let i = 0; i < 3 && end > 0 && (bytes[end]! & 0xc0) === 0x80; i++) end--;
  return { bytes: bytes.subarray(0, end), cut: true };
}

/**
 * One shape for all extracted text: NFC, \n line ends, no control characters but \n and \t,
 * single spaces, lines trimmed, at most one blank line in a row.
 */
export function normaliseText(text: string): string {
  return (
    text
      .normalize('NFC')
      .replace(/\r\n?|[\u0085\u2028\u2029\f\v]/g, '\n')
      // C0/C1 controls (not \t \n), BOM, word joiner and zero-width space: invisible noise.
      .replace(/[\u0000-\u0008\u000e-\u001f\u007f-\u009f\ufeff\u200b\u2060\ufffe\uffff]/g, '')
      // Spaces first, then tabs: patterns that never backtrack over long runs of blanks.
      .replace(/\p{Zs}+/gu, ' ')
      .replace(/ ?\t[ \t]*/g, '\t')
      .replace(/^[ \t]+|[ \t]+$/gm, '')
      .replace(/\n{3,}/g, '\n\n')
      .trim()
  );
}

/** Cuts text to maxChars without splitting a surrogate pair. */
export function truncateText(text: string, maxChars: number): { text: string; truncated: boolean } {
  if (text.length <= maxChars) return { text, truncated: false };
  let end = maxChars;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  return { text: text.slice(0, end).trimEnd(), truncated: true };
}
