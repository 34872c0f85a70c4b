import { ExtractError } from './errors.js';

/** XML parts of a .docx beyond this unpacked size are not read: mammoth holds them in memory, parsed. */
export const MAX_DOCX_XML_BYTES = 64 * 1024 * 1024;

const NOT_A_DOCX =
  'The Word document could not be read: it is not a valid .docx file. It may be damaged, or be an old .doc file (save it as .docx and add it again).';

/**
 * Checks the zip's central directory before mammoth unpacks anything: garbage is refused at once,
 * and a document that unpacks to far more than it weighs (a zip bomb) is refused before it fills memory.
 */
export function checkDocxZip(bytes: Uint8Array): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // The end-of-central-directory record is in the last 22 + 65535 (comment) bytes.
  let eocd = -1;
  for (let at = bytes.length - 22; at >= Math.max(0, bytes.length - 22 - 0xffff); at--) {
    if (view.getUint32(at, true) === 0x06054b50) {
      eocd = at;
      break;
    }
  }
  if (eocd < 0) throw new ExtractError(NOT_A_DOCX);
  const entries = view.getUint16(eocd + 10, true);
  let at = view.getUint32(eocd + 16, true);
  if (entries === 0xffff || at === 0xffffffff) {
    throw new ExtractError('The Word document is too large to read (over 4 GB unpacked).');
  }
  let xmlBytes = 0;
  for (let i = 0; i < entries; i++) {
    if (at + 46 > bytes.length || view.getUint32(at, true) !== 0x02014b50) throw new ExtractError(NOT_A_DOCX);
    const unpacked = view.getUint32(at + 24, true);
    const nameLength = view.getUint16(at + 28, true);
    const name = new TextDecoder().decode(bytes.subarray(at + 46, at + 46 + nameLength));
    if (/\.(xml|rels)$/i.test(name)) xmlBytes += unpacked;
    at += 46 + nameLength + view.getUint16(at + 30, true) + view.getUint16(at + 32, true);
  }
  if (xmlBytes > MAX_DOCX_XML_BYTES) {
    throw new ExtractError(
      `The Word document is too large to read: its text parts unpack to ${Math.round(xmlBytes / 1024 / 1024)} MB (at most ${MAX_DOCX_XML_BYTES / 1024 / 1024} MB).`,
    );
  }
}

// Loaded on first use, like pdf.js: most runs never see a Word document.
const loadMammoth = async () => (await import('mammoth')).default;
let mammothLoading: ReturnType<typeof loadMammoth> | null = null;

/** The text of a .docx, paragraphs separated by blank lines. */
export async function docxToText(bytes: Uint8Array): Promise<string> {
  checkDocxZip(bytes);
  mammothLoading ??= loadMammoth();
  const mammoth = await mammothLoading;
  try {
    const result = await mammoth.extractRawText({ buffer: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) });
    return result.value;
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    throw new ExtractError(
      `The Word document could not be read: ${detail.replace(/\.$/, '')}. It may be damaged; opening it in a word processor and saving a new copy often helps.`,
      { cause: error },
    );
  }
}
