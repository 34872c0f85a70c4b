import { Router } from '@koa/router';
import { PassThrough } from 'node:stream';
import type { Context, Next } from 'koa';
import { Problem } from '../../http/problem.js';
import { bodyObject, jsonBodies } from '../../http/middleware.js';
import type { InstalledModel } from '../../config/schema.js';
import type { ChatMessage } from '../inference/protocol.js';
import { CancelledError, type ChatParams, type InferenceScheduler } from '../inference/scheduler.js';
import type { ChatResult } from '../inference/inference-worker.js';
import type { ApiTokens } from './api-tokens.js';
import { bearerOrSession, checkJsonSchema, invalid, parseMessages } from './chat-input.js';
import { VERSION } from '../../version.js';

export interface OllamaDeps {
  scheduler: InferenceScheduler;
  tokens: ApiTokens;
  installed: () => InstalledModel[];
  active: () => string | null;
}

/** Ollama clients read `{error: "..."}`. */
async function ollamaErrors(ctx: Context, next: Next): Promise<void> {
  try {
    await next();
  } catch (err) {
    if (err instanceof CancelledError) return;
    const p = err instanceof Problem ? err : null;
    ctx.status = p?.status ?? (err as { status?: number }).status ?? 500;
    for (const [k, v] of Object.entries(p?.headers ?? {})) ctx.set(k, v);
    ctx.body = { error: p?.detail ?? (ctx.status < 500 ? (err as Error).message : 'The model server failed; the log has the details.') };
  }
}

const ns = (ms: number) => Math.round(ms * 1e6);

/**
 * The Ollama-compatible API (/api/tags, /api/chat, /api/generate, /api/version), so the many
 * apps that speak Ollama can use the box. Same bearer tokens as /v1.
 */
export function ollamaRoutes(deps: OllamaDeps): Router {
  const r = new Router();
  const paths = ['/api/tags', '/api/chat', '/api/generate', '/api/version'];
  r.use(paths, ollamaErrors, bearerOrSession(deps.tokens), jsonBodies('2mb'));

  const requireModel = (name: unknown): string => {
    if (typeof name !== 'string' || name === '') throw invalid('`model` is required.', 'model');
    const id = name.replace(/:latest$/, '');
    if (!deps.installed().some((m) => m.id === id)) throw new Problem(404, 'No such model', `model "${name}" not found on this box`);
    if (id !== deps.active()) throw invalid(`only the active model (${deps.active() ?? 'none'}) is served; make "${id}" active first`, 'model');
    return id;
  };

  const params = (body: Record<string, unknown>, messages: ChatMessage[]): ChatParams => {
    const options = (body.options ?? {}) as { temperature?: unknown; num_predict?: unknown; stop?: unknown };
    const maxTokens = options.num_predict === undefined || options.num_predict === -1 ? 1024 : options.num_predict;
    if (typeof maxTokens !== 'number' || !Number.isInteger(maxTokens) || maxTokens < 1 || maxTokens > 32768) throw invalid('options.num_predict must be a whole number from 1 to 32768.', 'options.num_predict');
    const temperature = options.temperature ?? 0.8;
    if (typeof temperature !== 'number' || temperature < 0 || temperature > 2) throw invalid('options.temperature must be a number from 0 to 2.', 'options.temperature');
    const stop = options.stop ?? [];
    if (!Array.isArray(stop) || !stop.every((s) => typeof s === 'string' && s.length > 0)) throw invalid('options.stop must be a list of strings.', 'options.stop');
    const format = body.format;
    let jsonSchema: object | null = null;
    if (format === 'json') jsonSchema = { type: 'object' };
    else if (typeof format === 'object' && format !== null && !Array.isArray(format)) {
      checkJsonSchema(format);
      jsonSchema = format;
    }
    else if (format !== undefined && format !== '' && format !== null) throw invalid('format must be "json" or a JSON schema object.', 'format');
    return { messages, maxTokens, temperature, stop: stop as string[], jsonSchema };
  };

  /** Run one request, streamed as NDJSON (the default) or as one JSON answer. */
  const respond = async (ctx: Context, model: string, p: ChatParams, shape: (text: string) => object, stream: boolean) => {
    const abort = new AbortController();
    ctx.res.once('close', () => {
      if (!ctx.res.writableFinished) abort.abort();
    });
    const created = () => new Date().toISOString();
    const final = (r: ChatResult) => ({
      done: true,
      done_reason: r.stopReason === 'length' ? 'length' : 'stop',
      total_duration: ns(r.usage.durationMs),
      load_duration: 0,
      prompt_eval_count: r.usage.promptTokens,
      eval_count: r.usage.completionTokens,
      eval_duration: ns(r.usage.durationMs - (r.usage.timeToFirstTokenMs ?? 0)),
    });
    if (!stream) {
      const r = await deps.scheduler.chat(p, { signal: abort.signal });
      ctx.body = { model, created_at: created(), ...shape(r.text), ...final(r) };
      return;
    }
    const out = new PassThrough();
    const line = (v: object) => out.write(JSON.stringify(v) + '\n');
    const result = deps.scheduler.chat(p, { signal: abort.signal, onChunk: (text) => line({ model, created_at: created(), ...shape(text), done: false }) });
    ctx.compress = false;
    ctx.type = 'application/x-ndjson';
    ctx.body = out;
    result.then(
      (r) => out.end(JSON.stringify({ model, created_at: created(), ...shape(''), ...final(r) }) + '\n'),
      (err: Error) => {
        if (!(err instanceof CancelledError)) line({ error: err instanceof Problem ? err.detail : err.message });
        out.end();
      },
    );
  };

  r.get('/api/version', (ctx) => {
    ctx.body = { version: `hearth-${VERSION}` };
  });

  r.get('/api/tags', (ctx) => {
    ctx.body = {
      models: deps.installed().map((m) => ({
        name: `${m.id}:latest`,
        model: `${m.id}:latest`,
        modified_at: m.addedAt,
        size: m.sizeBytes,
        digest: m.sha256 ?? '',
        details: { format: 'gguf', family: '', parameter_size: '', quantization_level: '' },
      })),
    };
  });

  r.post('/api/chat', async (ctx) => {
    const body = bodyObject(ctx);
    const model = requireModel(body.model);
    const p = params(body, parseMessages(body.messages));
    await respond(ctx, model, p, (text) => ({ message: { role: 'assistant', content: text } }), body.stream !== false);
  });

  r.post('/api/generate', async (ctx) => {
    const body = bodyObject(ctx);
    const model = requireModel(body.model);
    if (typeof body.prompt !== 'string') throw invalid('`prompt` must be text.', 'prompt');
    const messages = parseMessages([...(typeof body.system === 'string' && body.system ? [{ role: 'system', content: body.system }] : []), { role: 'user', content: body.prompt }]);
    await respond(ctx, model, params(body, messages), (text) => ({ response: text }), body.stream !== false);
  });

  return r;
}
