import { Router } from '@koa/router';
import { PassThrough } from 'node:stream';
import { randomUUID } from 'node:crypto';
import type { Context, Next } from 'koa';
import { Problem } from '../../http/problem.js';
import { bodyObject, jsonBodies } from '../../http/middleware.js';
import { bearerOrSession, checkJsonSchema, invalid, parseMessages } from './chat-input.js';
import { CancelledError, type ChatParams, type InferenceScheduler } from '../inference/scheduler.js';
import type { ApiTokens } from './api-tokens.js';

export interface OpenAiDeps {
  scheduler: InferenceScheduler;
  tokens: ApiTokens;
  /** Installed model ids, and the active one (the only one served: one model is loaded at a time). */
  models: () => { ids: string[]; active: string | null; created: (id: string) => number };
}

/** OpenAI clients read `{error: {message, type, code}}`; Problems become that shape here. */
async function openAiErrors(ctx: Context, next: Next): Promise<void> {
  try {
    await next();
  } catch (err) {
    if (err instanceof CancelledError) return;
    const p = err instanceof Problem ? err : null;
    const status = p?.status ?? (err as { status?: number }).status ?? 500;
    ctx.status = status;
    for (const [k, v] of Object.entries(p?.headers ?? {})) ctx.set(k, v);
    const type = status === 401 ? 'authentication_error' : status === 404 ? 'not_found_error' : status >= 500 ? 'server_error' : 'invalid_request_error';
    ctx.body = {
      error: {
        message: p?.detail ?? (status < 500 ? (err as Error).message : 'The model server failed; the log has the details.'),
        type,
        code: (p?.extra.code as string | undefined) ?? null,
        param: (p?.extra.field as string | undefined) ?? null,
      },
    };
  }
}

function parseChat(body: Record<string, unknown>): ChatParams {
  const maxRaw = body.max_completion_tokens ?? body.max_tokens ?? 512;
  if (typeof maxRaw !== 'number' || !Number.isInteger(maxRaw) || maxRaw < 1 || maxRaw > 32768) throw invalid('`max_tokens` must be a whole number from 1 to 32768.', 'max_tokens');
  const temperature = body.temperature ?? 0.7;
  if (typeof temperature !== 'number' || temperature < 0 || temperature > 2) throw invalid('`temperature` must be a number from 0 to 2.', 'temperature');
  const stopRaw = body.stop ?? [];
  const stop = typeof stopRaw === 'string' ? [stopRaw] : stopRaw;
  if (!Array.isArray(stop) || stop.length > 4 || !stop.every((s) => typeof s === 'string' && s.length > 0)) {
    throw invalid('`stop` must be a string or up to 4 non-empty strings.', 'stop');
  }
  let jsonSchema: object | null = null;
  const rf = body.response_format as { type?: unknown; json_schema?: { schema?: unknown } } | undefined;
  if (rf !== undefined && rf !== null) {
    if (rf.type === 'json_schema') {
      const schema = rf.json_schema?.schema;
      if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) throw invalid('`response_format.json_schema.schema` must be a JSON schema object.', 'response_format');
      checkJsonSchema(schema);
      jsonSchema = schema;
    } else if (rf.type === 'json_object') jsonSchema = { type: 'object' };
    else if (rf.type !== 'text') throw invalid('`response_format.type` must be text, json_object or json_schema.', 'response_format');
  }
  return { messages: parseMessages(body.messages), maxTokens: maxRaw, temperature, stop: stop as string[], jsonSchema };
}

const finishReason = (r: 'stop' | 'length' | 'cancelled') => (r === 'length' ? 'length' : 'stop');

/** `/v1`: the OpenAI-compatible API other apps on the LAN use, with the owner's bearer tokens. */
export function openAiRoutes(deps: OpenAiDeps): Router {
  const r = new Router({ prefix: '/v1' });
  r.use(openAiErrors);
  r.use(bearerOrSession(deps.tokens));
  r.use(jsonBodies('2mb'));

  const requireModel = (id: unknown): string => {
    const { ids, active } = deps.models();
    if (typeof id !== 'string' || id === '') throw invalid('`model` is required.', 'model');
    if (!ids.includes(id)) throw new Problem(404, 'No such model', `There is no model "${id}" on this box. GET /v1/models lists them.`, { code: 'model_not_found', field: 'model' });
    if (id !== active) throw invalid(`Only the active model (${active ?? 'none'}) is served. Make "${id}" active first.`, 'model');
    return id;
  };

  r.get('/models', (ctx) => {
    const { ids, created } = deps.models();
    ctx.body = { object: 'list', data: ids.map((id) => ({ id, object: 'model', created: created(id), owned_by: 'hearth' })) };
  });

  r.post('/chat/completions', async (ctx) => {
    const body = bodyObject(ctx);
    const model = requireModel(body.model);
    const params = parseChat(body);
    const id = `chatcmpl-${randomUUID()}`;
    const created = Math.floor(Date.now() / 1000);
    const abort = new AbortController();
    ctx.res.once('close', () => {
      if (!ctx.res.writableFinished) abort.abort(); // the client went away: stop generating for it
    });

    if (body.stream === true) {
      const includeUsage = (body.stream_options as { include_usage?: unknown } | undefined)?.include_usage === true;
      const stream = new PassThrough();
      const send = (data: unknown) => stream.write(`data: ${JSON.stringify(data)}\n\n`);
      const chunk = (delta: object, finish: string | null) => ({ id, object: 'chat.completion.chunk', created, model, choices: [{ index: 0, delta, finish_reason: finish }] });
      // Queue first, so a full queue or a missing model is a plain HTTP error, not a broken stream.
      let started = false;
      const result = deps.scheduler.chat(params, {
        signal: abort.signal,
        onChunk: (text) => {
          if (!started) {
            started = true;
            send(chunk({ role: 'assistant', content: '' }, null));
          }
          send(chunk({ content: text }, null));
        },
      });
      ctx.compress = false;
      ctx.set('Cache-Control', 'no-cache');
      ctx.set('X-Accel-Buffering', 'no');
      ctx.type = 'text/event-stream';
      ctx.body = stream;
      result.then(
        (r) => {
          if (!started) send(chunk({ role: 'assistant', content: '' }, null));
          send(chunk({}, finishReason(r.stopReason)));
          if (includeUsage) {
            send({ id, object: 'chat.completion.chunk', created, model, choices: [], usage: usageOf(r.usage) });
          }
          stream.end('data: [DONE]\n\n');
        },
        (err: Error) => {
          if (!(err instanceof CancelledError)) send({ error: { message: err instanceof Problem ? err.detail : err.message, type: 'server_error' } });
          stream.end();
        },
      );
      return;
    }

    const r = await deps.scheduler.chat(params, { signal: abort.signal });
    ctx.body = {
      id,
      object: 'chat.completion',
      created,
      model,
      choices: [{ index: 0, message: { role: 'assistant', content: r.text }, finish_reason: finishReason(r.stopReason) }],
      usage: usageOf(r.usage),
    };
  });

  r.post('/embeddings', async (ctx) => {
    const body = bodyObject(ctx);
    const model = requireModel(body.model);
    const input = typeof body.input === 'string' ? [body.input] : body.input;
    if (!Array.isArray(input) || input.length === 0 || input.length > 256 || !input.every((s) => typeof s === 'string' && s.length > 0)) {
      throw invalid('`input` must be a non-empty string or an array of up to 256 non-empty strings.', 'input');
    }
    const r = await deps.scheduler.embed(input as string[]);
    ctx.body = {
      object: 'list',
      model,
      data: r.vectors.map((embedding, index) => ({ object: 'embedding', index, embedding })),
      usage: { prompt_tokens: r.usage.promptTokens, total_tokens: r.usage.promptTokens },
    };
  });

  return r;
}

function usageOf(u: { promptTokens: number; completionTokens: number; timeToFirstTokenMs: number | null; durationMs: number }) {
  return {
    prompt_tokens: u.promptTokens,
    completion_tokens: u.completionTokens,
    total_tokens: u.promptTokens + u.completionTokens,
    // Hearth's own account of the request, for energy accounting and the UI.
    time_to_first_token_ms: u.timeToFirstTokenMs,
    duration_ms: u.durationMs,
  };
}
