import { extname } from 'node:path';
import { docxToText } from './docx.js';
import { htmlToText } from './html.js';
import { MAX_PDF_PAGES, pdfToText } from './pdf.js';
import { decodeText, headBytes, normaliseText, truncateText } from './text.js';

export { ExtractError } from './errors.js';

export type DocumentFormat = 'txt' | 'md' | 'html' | 'pdf' | 'docx' | 'csv' | 'other';

export interface ExtractedText {
  format: DocumentFormat;
  /** Null: the file is filed by its metadata only (a format we do not read, or a PDF without a text layer). */
  text: string | null;
  truncated: boolean;
  /** PDFs: the document's page count. */
  pages?: number;
  /** Something a person may want to know, e.g. "the PDF has no text layer". */
  warning?: string;
}

export interface ExtractOptions {
  /** Longer text is cut here (truncated: true). Default 1,000,000. */
  maxChars?: number;
  /** A PDF that takes longer than this to read is given up with an ExtractError. Default 120 s. */
  timeoutMs?: number;
}

export const DEFAULT_MAX_CHARS = 1_000_000;
export const DEFAULT_TIMEOUT_MS = 120_000;

const FORMATS = new Map<string, DocumentFormat>([
  ['.txt', 'txt'], ['.text', 'txt'], ['.log', 'txt'],
  ['.md', 'md'], ['.markdown', 'md'],
  ['.html', 'html'], ['.htm', 'html'], ['.xhtml', 'html'],
  ['.pdf', 'pdf'],
  ['.docx', 'docx'],
  ['.csv', 'csv'], ['.tsv', 'csv'],
]);

/** The format a file is read as, by its extension (case-insensitive). */
export function formatOf(fileName: string): DocumentFormat {
  return FORMATS.get(extname(fileName).toLowerCase()) ?? 'other';
}

// Raw bytes read per character wanted: generous, since markup and whitespace shrink away,
// yet bounded so a multi-gigabyte text file never becomes one string.
const TEXT_BYTES_PER_CHAR = 8;
const HTML_BYTES_PER_CHAR = 32;

/** The plain text of a document, normalised (NFC, single spaces, \n line ends) and cut to maxChars. */
export async function extractText(fileName: string, bytes: Uint8Array, options: ExtractOptions = {}): Promise<ExtractedText> {
  const maxChars = options.maxChars ?? DEFAULT_MAX_CHARS;
  if (!Number.isInteger(maxChars) || maxChars < 1) throw new RangeError(`maxChars must be a positive integer, not ${maxChars}`);
  const format = formatOf(fileName);

  switch (format) {
    case 'other':
      return { format, text: null, truncated: false };
    case 'txt':
    case 'md':
    case 'csv':
    case 'html': {
      const head = headBytes(bytes, maxChars * (format === 'html' ? HTML_BYTES_PER_CHAR : TEXT_BYTES_PER_CHAR));
      const decoded = decodeText(head.bytes);
      const cut = truncateText(normaliseText(format === 'html' ? htmlToText(decoded) : decoded), maxChars);
      return { format, text: cut.text, truncated: cut.truncated || head.cut };
    }
    case 'docx': {
      const cut = truncateText(normaliseText(await docxToText(bytes)), maxChars);
      return { format, ...cut };
    }
    case 'pdf': {
      const pdf = await pdfToText(bytes, { maxChars, timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS });
      const cut = truncateText(normaliseText(pdf.text), maxChars);
      const warnings: string[] = [];
      if (pdf.pages > MAX_PDF_PAGES) warnings.push(`only the first ${MAX_PDF_PAGES} of ${pdf.pages} pages were read`);
      if (pdf.failedPages.length > 0) warnings.push(`page${pdf.failedPages.length > 1 ? 's' : ''} ${pdf.failedPages.join(', ')} could not be read`);
      const result: ExtractedText = { format, text: cut.text, truncated: cut.truncated || pdf.pagesRead < pdf.pages, pages: pdf.pages };
      if (cut.text === '') {
        // Usually a scan: the pages are pictures of text. Filed by name and metadata until OCR exists.
        result.text = null;
        warnings.unshift('the PDF has no text layer (it may be a scan)');
      }
      if (warnings.length > 0) result.warning = warnings.join('; ');
      return result;
    }
  }
}
