import type { ChatParams } from '../models/inference/scheduler.js';
import type { ChatResult } from '../models/inference/inference-worker.js';

/**
 * What agents need from the models module: chat and embeddings at background priority.
 * Built in hearth.ts over the InferenceScheduler, faked nowhere: tests use the real worker.
 */
export interface AgentModel {
  /** The active model's id, or null when none is chosen (then no agent calls the model). */
  modelId(): string | null;
  /** Tokens the loaded (or next loaded) context holds; prompts are budgeted against it. */
  contextTokens(): number;
  chat(params: ChatParams, options?: { signal?: AbortSignal; priority?: 'interactive' | 'background' }): Promise<ChatResult>;
  /** Token counts of texts with the model's own tokenizer: prompts are budgeted with them, never guessed. */
  countTokens(texts: string[], options?: { signal?: AbortSignal }): Promise<number[]>;
  /** One vector per text, or null when the model gives no embeddings. */
  embed(texts: string[], options?: { signal?: AbortSignal; priority?: 'interactive' | 'background' }): Promise<number[][] | null>;
}

/** Token use of one or more model calls, summed into a run's record. */
export interface ModelUsage {
  calls: number;
  promptTokens: number;
  generatedTokens: number;
  /** Time to the first token of the first call. */
  ttftMs: number | null;
  /** Milliseconds spent in model calls (the rest of a run is the pipeline's own cost). */
  modelMs: number;
}

export const emptyUsage = (): ModelUsage => ({ calls: 0, promptTokens: 0, generatedTokens: 0, ttftMs: null, modelMs: 0 });

export function addUsage(total: ModelUsage, result: ChatResult): void {
  total.calls++;
  total.promptTokens += result.usage.promptTokens;
  total.generatedTokens += result.usage.completionTokens;
  total.ttftMs ??= result.usage.timeToFirstTokenMs;
  total.modelMs += result.usage.durationMs;
}

/** A rough token count for budgeting prompts in hearthd, which has no tokenizer: generous, so prompts fit. */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 3);
}
