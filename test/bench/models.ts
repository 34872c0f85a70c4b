// Model figures with the 1.1B-shape synthetic model: hearthd's own calibration, prompt and decode
// speed through the whole path (HTTP -> scheduler -> IPC -> worker) against node-llama-cpp in one
// process, aggregate speed with concurrent streams, the worker's memory, and the memory-bandwidth bound.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { controlRequest, removeDir, startDaemon, type RunningDaemon } from '../helpers/daemon.js';
import { syntheticModelLayout } from '../../appliance/src/models/gguf/synth.js';
import type { Bandwidth } from './bandwidth.js';
import { killOnExit, median, MiB, procStat, progress, round, sleep, type Figures } from './figures.js';

const MODEL_ID = 'bench-1b';
const MAX_TOKENS = 64;
const REPEATS = 3;
const STREAMS = [1, 2, 4, 8];

// About 200 tokens (199 for the synthetic vocabulary). Chosen so that, at temperature 0, the synthetic
// model's built-in end-of-text bias does not end the answer before MAX_TOKENS: every run decodes 64 tokens.
const SENTENCES = [
  'You can call it from any app on your network with a token you make on the Models page.',
  'It keeps its memory in a small database and shows what it cost in watts and degrees.',
  'Write a title, a date and one line about each file, then say which ones need an answer today.',
  'Hearth reads the notes that land in your folders and writes a short summary of each one for the home page.',
  'The model answers questions about your files, one word at a time, on the box in the hall.',
  'Each day the agent looks at the new text in the shared folder and makes a list of what to do.',
];
export const LONG_PROMPT = [...SENTENCES, SENTENCES[0]!].join(' ');
/** 19 tokens; also runs to MAX_TOKENS. For concurrent streams, where a long prompt would measure prefill instead of decode. */
export const SHORT_PROMPT = 'Write a short note about the new files in the shared folder.';

interface Timing {
  promptTokens: number;
  completionTokens: number;
  /** seconds from sending the request to the first text */
  ttft: number;
  /** seconds from the first text to the last */
  decode: number;
  total: number;
}

const promptRate = (t: Timing) => t.promptTokens / t.ttft;
const decodeRate = (t: Timing) => (t.completionTokens - 1) / t.decode;

interface ModelsStatus {
  active: string | null;
  worker: { state: string; pid: number | null; loaded: { threads: number; sequences: number; contextSize: number; loadMs: number } | null };
  calibration: { threads: number; parallel: number } | null;
}

interface CalibrationLog {
  threads: Record<string, number>;
  bestThreads: number;
  parallel: Record<string, number>;
  bestParallel: number;
}

/** One streamed chat completion over HTTP with a bearer token, timed as a client sees it. */
async function streamChat(d: RunningDaemon, token: string, prompt: string, maxTokens: number): Promise<Timing> {
  const t0 = performance.now();
  const res = await fetch(`${d.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      model: MODEL_ID,
      messages: [{ role: 'user', content: prompt }],
      stream: true,
      stream_options: { include_usage: true },
      temperature: 0,
      max_tokens: maxTokens,
    }),
  });
  if (!res.ok || !res.body) throw new Error(`chat completion: HTTP ${res.status} ${await res.text()}`);
  let first: number | null = null;
  let last = 0;
  let usage = null as { prompt_tokens: number; completion_tokens: number } | null;
  let buffered = '';
  const decoder = new TextDecoder();
  for await (const bytes of res.body as unknown as AsyncIterable<Uint8Array>) {
    const now = performance.now();
    buffered += decoder.decode(bytes, { stream: true });
    let end: number;
    while ((end = buffered.indexOf('\n\n')) >= 0) {
      const event = buffered.slice(0, end);
      buffered = buffered.slice(end + 2);
      const data = /^data: (.*)$/m.exec(event)?.[1];
      if (!data || data === '[DONE]') continue;
      const msg = JSON.parse(data) as { choices?: { delta?: { content?: string } }[]; usage?: typeof usage; error?: { message: string } };
      if (msg.error) throw new Error(`chat completion failed: ${msg.error.message}`);
      if (msg.choices?.[0]?.delta?.content) {
        first ??= now;
        last = now;
      }
      if (msg.usage) usage = msg.usage;
    }
  }
  if (first === null || !usage) throw new Error('the stream ended without text or usage');
  return {
    promptTokens: usage.prompt_tokens,
    completionTokens: usage.completion_tokens,
    ttft: (first - t0) / 1000,
    decode: (last - first) / 1000,
    total: (performance.now() - t0) / 1000,
  };
}

async function modelsStatus(d: RunningDaemon): Promise<ModelsStatus> {
  const r = await controlRequest<ModelsStatus>(d.socketPath, 'GET', '/models');
  if (r.status !== 200) throw new Error(`GET /models: ${r.status}`);
  return r.body;
}

/** Until the calibration is in config.json and the worker has the model loaded with it. */
async function waitCalibrated(d: RunningDaemon, timeoutMs: number): Promise<{ status: ModelsStatus; seconds: number }> {
  const t0 = performance.now();
  let lastState = '';
  for (;;) {
    const status = await modelsStatus(d);
    const config = JSON.parse(await readFile(join(d.dataDir, 'config.json'), 'utf8')) as { models: { calibration: { threads: number; parallel: number } | null } };
    const cal = config.models.calibration;
    const loaded = status.worker.loaded;
    const state = `${status.worker.state}${loaded ? ` (${loaded.threads} threads, ${loaded.sequences} sequences)` : ''}${cal ? `, calibrated ${cal.threads} threads × ${cal.parallel}` : ''}`;
    if (state !== lastState) progress(`worker: ${state}`);
    lastState = state;
    if (cal && status.worker.state === 'loaded' && loaded?.threads === cal.threads && loaded.sequences === cal.parallel) {
      return { status, seconds: (performance.now() - t0) / 1000 };
    }
    if (performance.now() - t0 > timeoutMs) throw new Error(`the model was not calibrated and loaded within ${timeoutMs / 1000} s:\n${d.output().slice(-3000)}`);
    await sleep(250);
  }
}

function calibrationFromLog(output: string): CalibrationLog | null {
  const m = /measured this machine (\{.*\})/.exec(output);
  return m ? (JSON.parse(m[1]!) as CalibrationLog) : null;
}

export interface ModelResults {
  fullDecode: number;
  fullPrompt: number;
  loaded: { threads: number; sequences: number; contextSize: number };
}

/** Everything through hearthd: calibration, the full path, concurrent streams, worker memory. */
export async function throughHearthd(figures: Figures, modelPath: string): Promise<ModelResults> {
  const d = await startDaemon({ env: { HEARTH_LOG_LEVEL: 'info', HEARTH_SKIP_CALIBRATION: '0' }, timeoutMs: 30_000 });
  const forget = killOnExit(d.proc, d.dataDir);
  try {
    progress('hearthd: adding the 1.1B synthetic model (copy + sha256)');
    const added = await controlRequest(d.socketPath, 'POST', '/models/add', { path: modelPath, id: MODEL_ID });
    if (added.status !== 200) throw new Error(`POST /models/add: ${added.status} ${JSON.stringify(added.body)}`);
    progress('hearthd: POST /models/use; the worker loads, calibrates and reloads');
    const used = await controlRequest(d.socketPath, 'POST', '/models/use', { id: MODEL_ID });
    if (used.status !== 200) throw new Error(`POST /models/use: ${used.status} ${JSON.stringify(used.body)}`);
    const { status, seconds } = await waitCalibrated(d, 15 * 60_000);
    const loaded = status.worker.loaded!;
    const cal = calibrationFromLog(d.output());
    figures.add('first load to calibrated and reloaded', round(seconds, 1), 's', `POST /models/use until config.json has the calibration and the worker runs with it (last load ${loaded.loadMs} ms)`);
    figures.add('calibration chose: threads', loaded.threads, 'thr', `of ${cal ? Object.keys(cal.threads).join(', ') : '?'} tried`);
    figures.add('calibration chose: parallel streams', loaded.sequences, 'seq', `of ${cal ? Object.keys(cal.parallel).join(', ') : '?'} tried; more only if >5% faster in total`);
    if (cal) {
      for (const [t, rate] of Object.entries(cal.threads)) figures.add(`calibration: 1 stream, ${t} thread${t === '1' ? '' : 's'}`, round(rate), 'tok/s', "worker's own decode measure, 24 tokens (from hearthd's log; config.json keeps only the choice)");
      for (const [k, rate] of Object.entries(cal.parallel)) figures.add(`calibration: ${k} stream${k === '1' ? '' : 's'} at once`, round(rate), 'tok/s', `aggregate, ${cal.bestThreads} threads, 24 tokens each`);
    } else {
      figures.add('calibration details', NaN, '-', 'the "measured this machine" log line was not found');
    }

    const token = (await controlRequest<{ token: string }>(d.socketPath, 'POST', '/tokens', { name: 'bench' })).body.token;
    progress('full path: one warm-up request');
    await streamChat(d, token, SHORT_PROMPT, 8);
    const runs: Timing[] = [];
    for (let i = 0; i < REPEATS; i++) {
      runs.push(await streamChat(d, token, LONG_PROMPT, MAX_TOKENS));
      const r = runs[i]!;
      progress(`full path ${i + 1}/${REPEATS}: ${r.promptTokens} prompt tokens in ${r.ttft.toFixed(2)} s, ${r.completionTokens} tokens at ${decodeRate(r).toFixed(2)} tok/s`);
    }
    const fullPrompt = median(runs.map(promptRate));
    const fullDecode = median(runs.map(decodeRate));
    const r0 = runs[0]!;
    figures.add('prompt rate, full path', round(fullPrompt), 'tok/s', `median of ${REPEATS}; ${r0.promptTokens} prompt tokens / time to first token, HTTP stream, client-side`);
    figures.add('decode rate, full path', round(fullDecode, 2), 'tok/s', `median of ${REPEATS}; (${r0.completionTokens} - 1) tokens / first to last chunk, temperature 0`);

    // A stream that fails is counted and its error kept, not retried: the figure is what clients got.
    const failures: string[] = [];
    for (const k of STREAMS) {
      const t0 = performance.now();
      const settled = await Promise.allSettled(Array.from({ length: k }, () => streamChat(d, token, SHORT_PROMPT, MAX_TOKENS)));
      const wall = (performance.now() - t0) / 1000;
      const ok = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
      const failed = settled.flatMap((s) => (s.status === 'rejected' ? [(s.reason as Error).message] : []));
      failures.push(...failed.map((m) => `${k} streams: ${m}`));
      const tokens = ok.reduce((s, t) => s + t.completionTokens, 0);
      const perStream = ok.length ? median(ok.map(decodeRate)) : NaN;
      progress(`${k} concurrent stream${k === 1 ? '' : 's'}: ${tokens} tokens in ${wall.toFixed(1)} s${failed.length ? `; ${failed.length} FAILED: ${failed[0]}` : ''}`);
      figures.add(
        `aggregate decode, ${k} concurrent stream${k === 1 ? '' : 's'}`,
        round(tokens / wall, 2),
        'tok/s',
        `${tokens} tokens / ${wall.toFixed(1)} s wall (19-token prompts, prefill included); ${Math.min(k, loaded.sequences)} at once, per-stream median ${perStream.toFixed(2)} tok/s` +
          (failed.length ? `; ${failed.length} of ${k} streams FAILED (${failed[0]})` : ''),
      );
    }
    figures.add('concurrent streams that failed', failures.length, 'of 15', failures.length ? [...new Set(failures)].join('; ') : 'every stream of the four runs above finished');

    const pid = (await modelsStatus(d)).worker.pid!;
    const withModel = procStat(pid);
    figures.add('worker memory, model loaded', MiB(withModel.rssBytes), 'MiB', `VmRSS after the runs above: ${MiB(withModel.rssFileBytes)} MiB file-backed (mmapped weights), ${MiB(withModel.rssAnonBytes)} MiB anonymous (KV cache, buffers, V8)`);
    // Unloading is what the keep-alive timer does after its idle minutes (the shortest it can be set
    // to is 1 min); POST /models/remove calls the same worker.unload() at once and keeps the process.
    progress('worker memory: unloading the model (POST /models/remove, same worker.unload() as the keep-alive timer)');
    const removed = await controlRequest(d.socketPath, 'POST', '/models/remove', { id: MODEL_ID });
    if (removed.status !== 200) throw new Error(`POST /models/remove: ${removed.status}`);
    for (let i = 0; (await modelsStatus(d)).worker.state !== 'empty'; i++) {
      if (i > 200) throw new Error('the worker did not unload within 50 s');
      await sleep(250);
    }
    await sleep(2000); // let the allocator hand back what it will
    const pidAfter = (await modelsStatus(d)).worker.pid;
    const empty = procStat(pidAfter ?? pid);
    figures.add(
      'worker memory, after unloading',
      MiB(empty.rssBytes),
      'MiB',
      `same process (pid ${pidAfter === pid ? 'unchanged' : 'CHANGED'}), 2 s after worker.unload() via POST /models/remove (the keep-alive timer's call): ${MiB(empty.rssFileBytes)} MiB file-backed, ${MiB(empty.rssAnonBytes)} MiB anonymous`,
    );
    return { fullDecode, fullPrompt, loaded };
  } finally {
    forget();
    await d.stop();
    await removeDir(d.dataDir);
  }
}

/** The same generation with node-llama-cpp in this process: no HTTP, no scheduler, no IPC. */
export async function directNodeLlamaCpp(figures: Figures, modelPath: string, full: ModelResults): Promise<void> {
  const { getLlama, LlamaChat, LlamaLogLevel, resolveChatWrapper } = await import('node-llama-cpp');
  const { threads, sequences, contextSize } = full.loaded;
  progress(`direct: node-llama-cpp in this process, ${threads} threads, context ${contextSize}, ${sequences} sequence${sequences === 1 ? '' : 's'}`);
  const llama = await getLlama({ gpu: false, build: 'never', progressLogs: false, logLevel: LlamaLogLevel.error });
  const model = await llama.loadModel({ modelPath });
  const context = await model.createContext({ contextSize, sequences, threads });
  const chatWrapper = resolveChatWrapper(model);
  const generate = async (prompt: string, maxTokens: number): Promise<Timing> => {
    const sequence = context.getSequence();
    const chat = new LlamaChat({ contextSequence: sequence, autoDisposeSequence: false, ...(chatWrapper ? { chatWrapper } : {}) });
    let promptTokens: number | null = null;
    let first: number | null = null;
    let last = 0;
    const t0 = performance.now();
    try {
      await chat.generateResponse([{ type: 'user', text: prompt }, { type: 'model', response: [''] }], {
        maxTokens,
        temperature: 0,
        onToken: () => {
          promptTokens ??= sequence.tokenMeter.usedInputTokens;
        },
        onTextChunk: (text) => {
          if (!text) return;
          const now = performance.now();
          first ??= now;
          last = now;
        },
      });
      if (first === null) throw new Error('direct generation produced no text');
      return {
        promptTokens: promptTokens ?? sequence.tokenMeter.usedInputTokens,
        completionTokens: sequence.tokenMeter.usedOutputTokens,
        ttft: (first - t0) / 1000,
        decode: (last - first) / 1000,
        total: (performance.now() - t0) / 1000,
      };
    } finally {
      chat.dispose({ disposeSequence: true });
    }
  };
  try {
    await generate(SHORT_PROMPT, 8); // warm-up, like the full path's
    const runs: Timing[] = [];
    for (let i = 0; i < REPEATS; i++) {
      runs.push(await generate(LONG_PROMPT, MAX_TOKENS));
      const r = runs[i]!;
      progress(`direct ${i + 1}/${REPEATS}: ${r.promptTokens} prompt tokens in ${r.ttft.toFixed(2)} s, ${r.completionTokens} tokens at ${decodeRate(r).toFixed(2)} tok/s`);
    }
    const prompt = median(runs.map(promptRate));
    const decode = median(runs.map(decodeRate));
    const r0 = runs[0]!;
    figures.add('prompt rate, direct node-llama-cpp', round(prompt), 'tok/s', `median of ${REPEATS}; same prompt (${r0.promptTokens} tokens), threads, context and sequences, LlamaChat in one process`);
    figures.add('decode rate, direct node-llama-cpp', round(decode, 2), 'tok/s', `median of ${REPEATS}; (${r0.completionTokens} - 1) tokens / first to last onTextChunk`);
    figures.add('decode, full path / direct', round(full.fullDecode / decode, 3), 'ratio', 'goal >= 0.95');
    figures.add('prompt, full path / direct', round(full.fullPrompt / prompt, 3), 'ratio', 'full path time to first token includes HTTP, queue and IPC');
  } finally {
    await context.dispose();
    await model.dispose();
    await llama.dispose();
  }
}

/** Bytes one decoded token reads: every tensor once, except the embedding table (one row of it). */
export function weightBytesPerToken(): { bytes: number; fileBytes: number } {
  const layout = syntheticModelLayout('1b', 'q8_0');
  let bytes = 0;
  for (const t of layout.tensors) bytes += t.name === 'token_embd.weight' ? t.bytes / (t.dims[1] ?? 1) : t.bytes;
  return { bytes, fileBytes: layout.totalBytes };
}

export function bandwidthBound(figures: Figures, bw: Bandwidth, fullDecode: number | null): void {
  const { bytes, fileBytes } = weightBytesPerToken();
  figures.add('memory read bandwidth, single-thread', round(bw.singleThread / 1e9, 2), 'GB/s', 'one thread: glibc memchr + memcmp over 1 GiB buffers, best of 3');
  figures.add(`memory read bandwidth, ${bw.threads} threads`, round(bw.allThreads / 1e9, 2), 'GB/s', 'one worker thread per core, each over its own buffers, at once');
  const best = Math.max(bw.singleThread, bw.allThreads);
  const bound = best / bytes;
  figures.add(
    'decode bound from bandwidth',
    round(bound, 2),
    'tok/s',
    `${round(best / 1e9, 2)} GB/s / ${round(bytes / 1e6, 0)} MB of weights per token (file ${round(fileBytes / 1e6, 0)} MB, embedding table not read whole); single-thread alone: ${round(bw.singleThread / bytes, 2)} tok/s`,
  );
  if (fullDecode !== null) figures.add('full-path decode / bandwidth bound', round((100 * fullDecode) / bound, 1), '%', `${fullDecode.toFixed(2)} tok/s of ${bound.toFixed(2)}; KV cache reads ignored (small at this length)`);
}
