import { ExtractError } from './errors.js';

/** More pages than this are not read: a long PDF is filed by its first pages. */
export const MAX_PDF_PAGES = 500;

export interface PdfText {
  text: string;
  pages: number;
  pagesRead: number;
  /** Pages that could not be read (the rest of the document still was). */
  failedPages: number[];
}

type PdfJs = typeof import('pdfjs-dist/legacy/build/pdf.mjs');
let pdfjsLoading: Promise<PdfJs> | null = null;

// Loaded on first use: pdf.js is large, and most runs never see a PDF. In Node the legacy build
// runs its "worker" in this thread (a fake worker that imports pdf.worker.mjs), so no worker file is needed.
function loadPdfJs(): Promise<PdfJs> {
  pdfjsLoading ??= import('pdfjs-dist/legacy/build/pdf.mjs');
  return pdfjsLoading;
}

function readError(error: unknown): ExtractError {
  const name = error instanceof Error ? error.name : '';
  const detail = error instanceof Error ? error.message : String(error);
  if (name === 'PasswordException') {
    return new ExtractError('The PDF is protected by a password, so it cannot be read. Save a copy without the password and add that instead.', { cause: error });
  }
  return new ExtractError(`The PDF could not be read: ${detail.replace(/\.$/, '')}. It may be damaged or encrypted; opening it and saving a new copy often helps.`, { cause: error });
}

/**
 * The text layer of a PDF, page by page (pages separated by a blank line). Stops after
 * MAX_PDF_PAGES pages or once maxChars characters are read; gives up after timeoutMs.
 */
export async function pdfToText(bytes: Uint8Array, options: { maxChars: number; timeoutMs: number }): Promise<PdfText> {
  const pdfjs = await loadPdfJs();
  const task = pdfjs.getDocument({
    // A copy: pdf.js may take over (detach) the buffer it is given, and refuses Node Buffers.
    data: new Uint8Array(bytes),
    isEvalSupported: false,
    disableFontFace: true,
    useSystemFonts: false,
    verbosity: 0,
  });

  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(new ExtractError(`The PDF took longer than ${Math.max(1, Math.round(options.timeoutMs / 1000))} s to read and was given up. It may be damaged or unusually complex.`));
    }, options.timeoutMs);
    timer.unref();
  });

  const read = async (): Promise<PdfText> => {
    let doc;
    try {
      doc = await task.promise;
    } catch (error) {
      throw readError(error);
    }
    const pages: string[] = [];
    const failedPages: number[] = [];
    let chars = 0;
    const last = Math.min(doc.numPages, MAX_PDF_PAGES);
    for (let number = 1; number <= last && chars <= options.maxChars; number++) {
      // The fake worker talks through microtasks only: without this pause a long PDF would hold
      // the event loop (HTTP, timers, the timeout below) until its last page.
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (task.destroyed) throw new Error('given up');
      try {
        const page = await doc.getPage(number);
        const content = await page.getTextContent();
        let text = '';
        for (const item of content.items) {
          if (!('str' in item)) continue; // marked-content markers carry no text
          text += item.str;
          if (item.hasEOL) text += '\n';
        }
        page.cleanup();
        pages.push(text);
        chars += text.length;
      } catch (error) {
        if (task.destroyed) throw error;
        failedPages.push(number);
      }
    }
    if (pages.length === 0 && failedPages.length > 0) throw readError(new Error('no page could be read'));
    return { text: pages.join('\n\n'), pages: doc.numPages, pagesRead: pages.length + failedPages.length, failedPages };
  };

  const reading = read();
  reading.catch(() => undefined); // after a timeout it fails as the task is destroyed: nobody waits for it then
  try {
    return await Promise.race([reading, timeout]);
  } finally {
    clearTimeout(timer);
    await task.destroy().catch(() => undefined);
  }
}
