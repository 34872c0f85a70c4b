import type { Context, Next } from 'koa';
import { Problem } from '../../http/problem.js';
import type { ChatMessage } from '../inference/protocol.js';
import type { ApiTokens } from './api-tokens.js';

// What the OpenAI- and Ollama-compatible APIs share: message checks and who may call.

const MAX_PROMPT_CHARS = 1_000_000;

export const invalid = (message: string, param: string) => new Problem(400, 'Invalid request', message, { field: param });

export function parseMessages(raw: unknown): ChatMessage[] {
  if (!Array.isArray(raw) || raw.length === 0) throw invalid('`messages` must be a non-empty array of {role, content}.', 'messages');
  let chars = 0;
  const messages = raw.map((m, i): ChatMessage => {
    const role = (m as { role?: unknown })?.role;
    let content = (m as { content?: unknown })?.content;
    if (role !== 'system' && role !== 'user' && role !== 'assistant' && role !== 'developer') {
      throw invalid(`messages[${i}].role must be system, user or assistant.`, `messages[${i}].role`);
    }
    // Content may be a string or an array of text parts.
    if (Array.isArray(content)) content = content.map((p: { type?: string; text?: unknown }) => (p?.type === 'text' && typeof p.text === 'string' ? p.text : '')).join('');
    if (typeof content !== 'string') throw invalid(`messages[${i}].content must be text.`, `messages[${i}].content`);
    chars += content.length;
    return { role: role === 'developer' ? 'system' : role, content };
  });
  if (messages.every((m) => m.content.trim() === '')) throw invalid('The messages are empty: there is nothing to answer.', 'messages');
  if (chars > MAX_PROMPT_CHARS) throw invalid(`The prompt is ${chars} characters; this box takes at most ${MAX_PROMPT_CHARS}.`, 'messages');
  return messages;
}

/** Apps on the LAN send a bearer token the owner made; the owner's own browser session works too. */
export function bearerOrSession(tokens: ApiTokens) {
  return async function apiCaller(ctx: Context, next: Next): Promise<void> {
    const bearer = /^Bearer\s+(.+)$/i.exec(ctx.get('Authorization'))?.[1]?.trim();
    const allowed = bearer ? tokens.verify(bearer) !== null : !!ctx.state.user;
    if (!allowed) {
      throw new Problem(
        401,
        'Not signed in',
        bearer
          ? 'That API token is not valid (revoked or mistyped).'
          : 'Send an API token: Authorization: Bearer <token>. The owner makes tokens on the Models page or with `hearth token create`.',
        { code: 'invalid_api_key' },
      );
    }
    await next();
  };
}

const SCHEMA_TYPES = new Set(['string', 'number', 'integer', 'boolean', 'null', 'object', 'array']);

/**
 * The subset of JSON Schema the grammar can enforce. llama.cpp's converter quietly treats
 * what it does not know as "anything", so an unknown type is refused here with its place.
 */
export function checkJsonSchema(schema: unknown, at = '#', depth = 0): void {
  if (depth > 32) throw invalid(`The JSON schema is nested too deeply at ${at}.`, 'response_format');
  if (schema === true || schema === false) return;
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) throw invalid(`The JSON schema at ${at} must be an object.`, 'response_format');
  const s = schema as Record<string, unknown>;
  if (s.type !== undefined) {
    const types = Array.isArray(s.type) ? s.type : [s.type];
    for (const t of types) if (typeof t !== 'string' || !SCHEMA_TYPES.has(t)) throw invalid(`The JSON schema has an unknown type ${JSON.stringify(t)} at ${at}; use ${[...SCHEMA_TYPES].join(', ')}.`, 'response_format');
  }
  if (s.properties !== undefined) {
    if (typeof s.properties !== 'object' || s.properties === null || Array.isArray(s.properties)) throw invalid(`"properties" at ${at} must be an object.`, 'response_format');
    for (const [k, v] of Object.entries(s.properties)) checkJsonSchema(v, `${at}/properties/${k}`, depth + 1);
  }
  if (s.required !== undefined && (!Array.isArray(s.required) || !s.required.every((r) => typeof r === 'string'))) throw invalid(`"required" at ${at} must be a list of property names.`, 'response_format');
  if (s.items !== undefined) checkJsonSchema(s.items, `${at}/items`, depth + 1);
  for (const key of ['anyOf', 'oneOf', 'allOf'] as const) {
    const list = s[key];
    if (list === undefined) continue;
    if (!Array.isArray(list) || list.length === 0) throw invalid(`"${key}" at ${at} must be a non-empty list of schemas.`, 'response_format');
    list.forEach((sub, i) => checkJsonSchema(sub, `${at}/${key}/${i}`, depth + 1));
  }
  for (const key of ['$defs', 'definitions'] as const) {
    const defs = s[key];
    if (defs !== undefined && typeof defs === 'object' && defs !== null) for (const [k, v] of Object.entries(defs)) checkJsonSchema(v, `${at}/${key}/${k}`, depth + 1);
  }
  if (s.enum !== undefined && (!Array.isArray(s.enum) || s.enum.length === 0)) throw invalid(`"enum" at ${at} must be a non-empty list.`, 'response_format');
}
