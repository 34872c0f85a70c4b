import { parentPort } from 'node:worker_threads';
import { ExtractError, extractText, type ExtractedText, type ExtractOptions } from './extract.js';

/** One file for the worker to read; bytes arrive transferred, not copied. */
export interface ExtractRequest {
  id: number;
  fileName: string;
  bytes: ArrayBuffer;
  options: ExtractOptions;
}

export type ExtractReply =
  | { ready: true }
  | { id: number; ok: true; result: ExtractedText }
  | { id: number; ok: false; message: string; isExtractError: boolean };

// The entry of TextExtractor's worker thread: pdf.js and mammoth run here, so a hostile file stalls or exhausts this thread, not hearthd's.
const port = parentPort;
if (!port) throw new Error('extract-worker runs only as a worker thread (see TextExtractor)');

port.on('message', (request: ExtractRequest) => {
  void extractText(request.fileName, new Uint8Array(request.bytes), request.options).then(
    (result) => port.postMessage({ id: request.id, ok: true, result } satisfies ExtractReply),
    (error: unknown) => port.postMessage({
      id: request.id,
      ok: false,
      message: error instanceof Error ? error.message : String(error),
      isExtractError: error instanceof ExtractError,
    } satisfies ExtractReply),
  );
});

// Loaded: from here on the worker ending is the file's doing, not a broken install.
port.postMessage({ ready: true } satisfies ExtractReply);
