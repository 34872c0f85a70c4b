// Messages between hearthd and the inference worker (child process, structured IPC).

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface LoadRequest {
  type: 'load';
  modelPath: string;
  contextSize: number;
  /** Sequences decoded together in one context (chosen by calibration). */
  sequences: number;
  threads: number;
}

export interface ChatRequest {
  type: 'chat';
  id: string;
  messages: ChatMessage[];
  maxTokens: number;
  temperature: number;
  stop: string[];
  /** A JSON schema the answer must follow (grammar-constrained). */
  jsonSchema: object | null;
}

export interface EmbedRequest {
  type: 'embed';
  id: string;
  input: string[];
}

/** Token counts of texts with the loaded model's tokenizer: agents budget prompts with them. */
export interface TokenizeRequest {
  type: 'tokenize';
  id: string;
  texts: string[];
}

export interface CalibrateRequest {
  type: 'calibrate';
  id: string;
  /** Thread counts to try, and sequence counts to try with the best one. */
  threads: number[];
  parallel: number[];
  tokens: number;
}

export type ToWorker = LoadRequest | { type: 'unload' } | ChatRequest | EmbedRequest | TokenizeRequest | CalibrateRequest | { type: 'cancel'; id: string };

export interface Usage {
  promptTokens: number;
  completionTokens: number;
  /** Milliseconds from the request reaching the worker to the first generated text. */
  timeToFirstTokenMs: number | null;
  durationMs: number;
}

export type StopReason = 'stop' | 'length' | 'cancelled';

export interface LoadedInfo {
  modelPath: string;
  contextSize: number;
  sequences: number;
  threads: number;
  trainContextSize: number;
  loadMs: number;
}

export interface CalibrationResult {
  /** Decode tokens/s of one stream for each thread count tried. */
  threads: Record<string, number>;
  bestThreads: number;
  /** Aggregate decode tokens/s for each number of concurrent streams, with the best thread count. */
  parallel: Record<string, number>;
  bestParallel: number;
}

export type FromWorker =
  | { type: 'ready'; pid: number }
  | { type: 'loaded'; info: LoadedInfo }
  | { type: 'unloaded' }
  | { type: 'chunk'; id: string; text: string }
  | { type: 'done'; id: string; text: string; stopReason: StopReason; usage: Usage }
  | { type: 'embedding'; id: string; vectors: number[][]; usage: { promptTokens: number; durationMs: number } }
  | { type: 'calibrated'; id: string; result: CalibrationResult }
  | { type: 'tokens'; id: string; counts: number[] }
  | { type: 'error'; id: string | null; message: string; code: 'bad-request' | 'not-loaded' | 'internal' };
