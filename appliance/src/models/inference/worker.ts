// The inference worker: a child process that owns node-llama-cpp, so a llama.cpp crash or
// an out-of-memory kill never takes hearthd down. hearthd speaks to it over IPC (protocol.ts).
import {
  getLlama,
  LlamaChat,
  LlamaLogLevel,
  resolveChatWrapper,
  type ChatHistoryItem,
  type ChatWrapper,
  type Llama,
  type LlamaContext,
  type LlamaContextSequence,
  type LlamaEmbeddingContext,
  type LlamaGrammar,
  type LlamaModel,
  type Token,
} from 'node-llama-cpp';
import type { ChatMessage, ChatRequest, CalibrateRequest, EmbedRequest, FromWorker, LoadRequest, StopReason, ToWorker } from './protocol.js';

let llama: Llama | null = null;
let model: LlamaModel | null = null;
let context: LlamaContext | null = null;
let embeddingContext: LlamaEmbeddingContext | null = null;
let loaded: LoadRequest | null = null;
// Resolving the chat template costs ~0.3 s: once per model, not once per request.
let chatWrapper: ChatWrapper | null = null;
const running = new Map<string, AbortController>();
// Sequences are kept and reused, not disposed per request: a disposed sequence's slot comes
// back asynchronously, so a request right after another could find none ("No sequences left").
// Each request starts from a cleared sequence: answers never depend on what came before.
let freeSequences: LlamaContextSequence[] = [];
let sequenceWaiters: Array<{ resolve: (s: LlamaContextSequence) => void; reject: (e: Error) => void }> = [];

const send = (m: FromWorker) => process.send?.(m);

class BadRequest extends Error {}

async function ensureLlama(): Promise<Llama> {
  // CPU unless the box has a GPU build that works; never compile at run time on the box.
  llama ??= await getLlama({
    gpu: process.env.HEARTH_LLAMA_GPU === 'auto' ? 'auto' : false,
    build: 'never',
    progressLogs: false,
    logLevel: LlamaLogLevel.error,
  });
  return llama;
}

async function unload(): Promise<void> {
  for (const c of running.values()) c.abort();
  freeSequences = [];
  for (const w of sequenceWaiters.splice(0)) w.reject(new Error('the model was unloaded'));
  await embeddingContext?.dispose();
  await context?.dispose();
  await model?.dispose();
  embeddingContext = null;
  context = null;
  model = null;
  loaded = null;
  chatWrapper = null;
}

async function load(req: LoadRequest): Promise<void> {
  const t0 = performance.now();
  await unload();
  const l = await ensureLlama();
  model = await l.loadModel({ modelPath: req.modelPath });
  chatWrapper = resolveChatWrapper(model);
  // Never more context than the model was trained for: beyond it answers degrade.
  const contextSize = Math.min(req.contextSize, model.trainContextSize);
  context = await model.createContext({ contextSize, sequences: req.sequences, threads: req.threads });
  loaded = req;
  send({
    type: 'loaded',
    info: {
      modelPath: req.modelPath,
      contextSize: context.contextSize,
      sequences: req.sequences,
      threads: req.threads,
      trainContextSize: model.trainContextSize,
      loadMs: Math.round(performance.now() - t0),
    },
  });
}

/** A sequence of the loaded context: a free one, a new one while slots are left, else the next one released. */
function acquireSequence(ctx: LlamaContext): Promise<LlamaContextSequence> {
  const free = freeSequences.pop();
  if (free) return Promise.resolve(free);
  if (ctx.sequencesLeft > 0) return Promise.resolve(ctx.getSequence());
  return new Promise((resolve, reject) => sequenceWaiters.push({ resolve, reject }));
}

function releaseSequence(ctx: LlamaContext, sequence: LlamaContextSequence): void {
  if (ctx !== context || sequence.disposed) return; // the model was unloaded meanwhile
  const waiter = sequenceWaiters.shift();
  if (waiter) waiter.resolve(sequence);
  else freeSequences.push(sequence);
}

function toHistory(messages: ChatMessage[]): ChatHistoryItem[] {
  const history: ChatHistoryItem[] = messages.map((m) =>
    m.role === 'system' ? { type: 'system', text: m.content } : m.role === 'user' ? { type: 'user', text: m.content } : { type: 'model', response: [m.content] },
  );
  history.push({ type: 'model', response: [''] }); // the answer to generate
  return history;
}

async function chat(req: ChatRequest): Promise<void> {
  if (!model || !context || !llama) throw new BadRequest('no model is loaded');
  let grammar: LlamaGrammar | undefined;
  if (req.jsonSchema) {
    try {
      grammar = await llama.createGrammarForJsonSchema(req.jsonSchema as never);
    } catch (err) {
      throw new BadRequest(`the JSON schema cannot be used: ${(err as Error).message}`);
    }
  }
  const promptLength = req.messages.reduce((n, m) => n + model!.tokenize(m.content).length, 0);
  if (promptLength + 16 > context.contextSize) {
    throw new BadRequest(`The prompt is ${promptLength} tokens but the model's context holds ${context.contextSize}. Shorten it.`);
  }
  const abort = new AbortController();
  running.set(req.id, abort);
  const t0 = performance.now();
  let firstAt: number | null = null;
  const ctx = context;
  let sequence: LlamaContextSequence | null = null;
  let session: LlamaChat | null = null;
  try {
    sequence = await acquireSequence(ctx);
    await sequence.clearHistory();
    // The meter of a kept sequence counts every request it served: this request is the difference.
    const inputBefore = sequence.tokenMeter.usedInputTokens;
    const outputBefore = sequence.tokenMeter.usedOutputTokens;
    // The prompt is what went in before the first answer token.
    let promptTokens: number | null = null;
    const seq = sequence;
    session = new LlamaChat({ contextSequence: sequence, autoDisposeSequence: false, ...(chatWrapper ? { chatWrapper } : {}) });
    const result = await session.generateResponse(toHistory(req.messages), {
      maxTokens: req.maxTokens,
      temperature: req.temperature,
      customStopTriggers: req.stop.length > 0 ? req.stop : undefined,
      grammar,
      signal: abort.signal,
      stopOnAbortSignal: true,
      onToken: () => {
        promptTokens ??= seq.tokenMeter.usedInputTokens - inputBefore;
      },
      onTextChunk: (text) => {
        firstAt ??= performance.now();
        send({ type: 'chunk', id: req.id, text });
      },
    });
    const reason = result.metadata.stopReason;
    const stopReason: StopReason = reason === 'maxTokens' ? 'length' : reason === 'abort' ? 'cancelled' : 'stop';
    send({
      type: 'done',
      id: req.id,
      text: result.response,
      stopReason,
      usage: {
        promptTokens: promptTokens ?? seq.tokenMeter.usedInputTokens - inputBefore,
        completionTokens: seq.tokenMeter.usedOutputTokens - outputBefore,
        timeToFirstTokenMs: firstAt === null ? null : Math.round(firstAt - t0),
        durationMs: Math.round(performance.now() - t0),
      },
    });
  } finally {
    running.delete(req.id);
    session?.dispose({ disposeSequence: false });
    if (sequence) releaseSequence(ctx, sequence);
  }
}

async function embed(req: EmbedRequest): Promise<void> {
  if (!model || !loaded) throw new BadRequest('no model is loaded');
  const t0 = performance.now();
  embeddingContext ??= await model.createEmbeddingContext({ contextSize: Math.min(loaded.contextSize, 2048), threads: loaded.threads });
  const vectors: number[][] = [];
  let promptTokens = 0;
  for (const text of req.input) {
    const tokens = model.tokenize(text);
    if (tokens.length > embeddingContext.model.trainContextSize) throw new BadRequest('an input is longer than the model can embed');
    promptTokens += tokens.length;
    vectors.push([...(await embeddingContext.getEmbeddingFor(tokens)).vector]);
  }
  send({ type: 'embedding', id: req.id, vectors, usage: { promptTokens, durationMs: Math.round(performance.now() - t0) } });
}

/** Decode `count` tokens on a fresh sequence of `ctx`; returns the seconds the decode took. */
async function decodeSeconds(ctx: LlamaContext, prompt: Token[], count: number): Promise<number> {
  const sequence = ctx.getSequence();
  try {
    let n = 0;
    let start = 0;
    for await (const _token of sequence.evaluate(prompt, { temperature: 0 })) {
      if (n === 0) start = performance.now(); // the first token includes the prompt: decode is timed after it
      if (++n > count) break;
    }
    return (performance.now() - start) / 1000;
  } finally {
    sequence.dispose();
  }
}

/**
 * Measure this machine instead of guessing: decode speed for each thread count, then the
 * aggregate speed of k streams decoded together with the best one. Small CPUs can be slower
 * in total at 2 streams than at 1, so the scheduler uses what wins here.
 */
async function calibrate(req: CalibrateRequest): Promise<void> {
  if (!model) throw new BadRequest('no model is loaded');
  const prompt = model.tokenize('Hearth measures how fast this machine decodes.');
  const threads: Record<string, number> = {};
  for (const t of req.threads) {
    const ctx = await model.createContext({ contextSize: 512, sequences: 1, threads: t });
    try {
      threads[t] = req.tokens / (await decodeSeconds(ctx, prompt, req.tokens));
    } finally {
      await ctx.dispose();
    }
  }
  const bestThreads = Number(Object.entries(threads).sort((a, b) => b[1] - a[1])[0]![0]);
  const parallel: Record<string, number> = {};
  for (const k of req.parallel) {
    const ctx = await model.createContext({ contextSize: 512 * k, sequences: k, threads: bestThreads });
    try {
      const t0 = performance.now();
      await Promise.all(Array.from({ length: k }, () => decodeSeconds(ctx, prompt, req.tokens)));
      parallel[k] = (k * req.tokens) / ((performance.now() - t0) / 1000);
    } finally {
      await ctx.dispose();
    }
  }
  // More streams only when they beat one stream in total: never slower than one after another.
  let bestParallel = 1;
  for (const [k, rate] of Object.entries(parallel)) if (rate > (parallel[String(bestParallel)] ?? 0) * 1.05) bestParallel = Number(k);
  send({ type: 'calibrated', id: req.id, result: { threads, bestThreads, parallel, bestParallel } });
}

async function handle(msg: ToWorker): Promise<void> {
  const id = 'id' in msg ? msg.id : null;
  try {
    switch (msg.type) {
      case 'load':
        return await load(msg);
      case 'unload':
        await unload();
        send({ type: 'unloaded' });
        return;
      case 'chat':
        return await chat(msg);
      case 'embed':
        return await embed(msg);
      case 'calibrate':
        return await calibrate(msg);
      case 'tokenize':
        if (!model) throw new BadRequest('no model is loaded');
        send({ type: 'tokens', id: msg.id, counts: msg.texts.map((t) => model!.tokenize(t).length) });
        return;
      case 'cancel':
        running.get(msg.id)?.abort();
        return;
    }
  } catch (err) {
    const message = (err as Error).message ?? String(err);
    send({ type: 'error', id, message, code: err instanceof BadRequest ? 'bad-request' : 'internal' });
  }
}

process.on('message', (msg: ToWorker) => void handle(msg));
// hearthd gone (crash or stop): nothing to serve any more.
process.on('disconnect', () => process.exit(0));
send({ type: 'ready', pid: process.pid });
