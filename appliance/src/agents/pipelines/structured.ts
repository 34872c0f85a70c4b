import { z } from 'zod';
import type { RunContext } from '../runner.js';

/**
 * Schema-constrained generation: a JSON schema whose every string and list is bounded, so the
 * grammar can only produce a complete object within a known number of tokens, whatever the
 * model. The bound decides max tokens; zod checks the result again (defence in depth).
 */

/** Size limits for outputs, scaled to the context: a 1k-token model gets terse fields, a 8k one fuller ones. */
export function outputScale(contextTokens: number): number {
  return Math.min(1, Math.max(0.25, contextTokens / 8192));
}

export const boundedString = (maxLength: number, description?: string) => ({ type: 'string', maxLength: Math.max(1, Math.round(maxLength)), ...(description ? { description } : {}) }) as const;

export const boundedList = (items: object, maxItems: number) => ({ type: 'array', items, maxItems: Math.max(1, Math.round(maxItems)) }) as const;

/** The most characters a schema's output can hold (strings at full length, lists full), plus JSON punctuation. */
export function maxChars(schema: unknown): number {
  const s = schema as { type?: string; maxLength?: number; items?: unknown; maxItems?: number; properties?: Record<string, unknown>; enum?: string[] };
  if (s.enum) return Math.max(...s.enum.map((e) => e.length)) + 2;
  switch (s.type) {
    case 'string':
      return (s.maxLength ?? 200) + 2;
    case 'array':
      return 2 + (s.maxItems ?? 8) * (maxChars(s.items) + 2);
    case 'object':
      return 2 + Object.entries(s.properties ?? {}).reduce((n, [k, v]) => n + k.length + 4 + maxChars(v), 0);
    case 'integer':
    case 'number':
      return 12;
    case 'boolean':
      return 5;
    default:
      return 16;
  }
}

export class ModelOutputError extends Error {}

/** Tokens the chat template adds around the messages (role markers, separators), with room to spare. */
export const TEMPLATE_TOKENS = 48;

/** Tokens an answer to `schema` may need: its characters (a token is at least one) plus slack. */
export const answerTokens = (schema: unknown): number => Math.ceil(maxChars(schema) * 1.1) + 32;

/**
 * One constrained call. The grammar ends the answer when the object is complete; max tokens is
 * all the context has left, so an answer is never cut mid-object when the prompt was budgeted
 * with answerTokens (the prompt is measured with the model's own tokenizer first).
 */
export async function generateStructured<T>(
  ctx: RunContext,
  request: { system: string; user: string; schema: object; validate: z.ZodType<T> },
): Promise<T> {
  const [promptTokens] = await ctx.countTokens([`${request.system}\n${request.user}`]);
  const room = ctx.model.contextTokens() - promptTokens! - TEMPLATE_TOKENS;
  if (room < Math.min(answerTokens(request.schema), 256)) {
    throw new ModelOutputError(`the prompt (${promptTokens} tokens) leaves too little room for an answer in this model's context (${ctx.model.contextTokens()} tokens)`);
  }
  const result = await ctx.chat({
    messages: [
      { role: 'system', content: request.system },
      { role: 'user', content: request.user },
    ],
    maxTokens: room,
    temperature: 0,
    stop: [],
    jsonSchema: request.schema,
  });
  let parsed: unknown;
  try {
    parsed = JSON.parse(result.text);
  } catch {
    throw new ModelOutputError(`the model's answer was not complete JSON (${result.stopReason === 'length' ? 'it ran out of room' : 'unexpected end'}); it will be tried again`);
  }
  const checked = request.validate.safeParse(parsed);
  if (!checked.success) throw new ModelOutputError(`the model's answer did not match the expected fields: ${checked.error.issues[0]?.message ?? 'invalid'}`);
  return checked.data;
}

/**
 * How much text like `sample` fits beside `fixed` (instructions, frame) and the longest answer to
 * `schema`, measured with the model's tokenizer: texts differ (prose, code, other scripts) in characters per token.
 */
export async function textRoom(ctx: RunContext, fixed: string, schema: object, sample: string): Promise<{ tokens: number; charsPerToken: number; chars: number }> {
  const s = sample.slice(0, 200_000) || 'x';
  const [fixedTokens, sampleTokens] = await ctx.countTokens([fixed, s]);
  const tokens = ctx.model.contextTokens() - fixedTokens! - answerTokens(schema) - TEMPLATE_TOKENS - 16;
  const charsPerToken = s.length / Math.max(1, sampleTokens!);
  return { tokens, charsPerToken, chars: Math.max(0, Math.floor(tokens * charsPerToken * 0.9)) };
}

/** Trimmed, whitespace collapsed, empty dropped, duplicates (case-insensitive) dropped. */
export function cleanList(items: readonly string[], max: number): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const raw of items) {
    const v = raw.replace(/\s+/g, ' ').trim();
    if (!v || seen.has(v.toLowerCase())) continue;
    seen.add(v.toLowerCase());
    out.push(v);
    if (out.length >= max) break;
  }
  return out;
}

export const cleanText = (s: string): string => s.replace(/\s+/g, ' ').trim();

/** A real calendar date as YYYY-MM-DD, or null. */
export function isoDay(s: string): string | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s.trim());
  if (!m) return null;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return d.toISOString().slice(0, 10) === m[0] ? m[0] : null;
}
