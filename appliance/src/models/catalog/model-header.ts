// Types only: node-llama-cpp costs ~0.5 s and ~40 MB to load, so hearthd loads it when a header is read, not at start.
import type { GgmlType, GgufFileInfo, GgufInsights, Llama } from 'node-llama-cpp';
import { Problem, badRequest } from '../../http/problem.js';
import type { ModelRequirements } from './fit.js';

/** Reading a header over the network never waits longer than this. */
export const HEADER_TIMEOUT_MS = 20_000;

export interface UrlPolicy {
  /** Tests only: allow plain http to 127.0.0.0/8, ::1 and localhost. Nothing else ever goes over http. */
  allowLoopbackHttp?: boolean;
}

export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/**
 * Checks an address a person typed for a custom model and returns its download form: https only
 * (models are large and run with the box's privileges), no embedded credentials, and a Hugging Face
 * page link (/blob/) turned into its file link (/resolve/).
 */
export function checkModelUrl(raw: string, policy: UrlPolicy = {}): URL {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw badRequest(`"${raw}" is not a web address. Paste the full https:// link to a .gguf file.`);
  }
  if (url.protocol === 'http:') {
    if (!(policy.allowLoopbackHttp && isLoopbackHost(url.hostname))) {
      throw badRequest(`Models are downloaded over HTTPS only, so the file cannot be tampered with on the way. Use the https:// address of ${url.hostname}.`);
    }
  } else if (url.protocol !== 'https:') {
    throw badRequest(`"${url.protocol}" addresses are not supported. Paste the https:// link to a .gguf file.`);
  }
  if (url.username || url.password) throw badRequest('Leave user names and passwords out of the model address.');
  if ((url.hostname === 'huggingface.co' || url.hostname === 'hf.co') && url.pathname.split('/')[3] === 'blob') {
    const parts = url.pathname.split('/');
    parts[3] = 'resolve';
    url.pathname = parts.join('/');
  }
  return url;
}

/**
 * Asks the server for the file's first bytes before handing the address to the GGUF reader, so a
 * web page, a missing file or a server without range requests gets a clear answer instead of a
 * parser error (or a 50 GB download to read a header).
 */
export async function probeGgufUrl(url: URL, policy: UrlPolicy & { signal?: AbortSignal } = {}): Promise<void> {
  let response: Response;
  try {
    response = await fetch(url, { headers: { Range: 'bytes=0-7', Accept: '*/*' }, redirect: 'follow', signal: policy.signal ?? null });
  } catch (err) {
    if (policy.signal?.aborted) throw new Problem(504, 'Model host too slow', `${url.hostname} did not answer in time. Try again later.`);
    throw new Problem(502, 'Model host unreachable', `Could not reach ${url.hostname}: ${errorText(err)}. Check the address and this box's internet connection.`);
  }
  try {
    const final = new URL(response.url || url.href);
    if (final.protocol !== 'https:' && !(final.protocol === 'http:' && policy.allowLoopbackHttp && isLoopbackHost(final.hostname))) {
      throw badRequest(`${url.hostname} redirected to a plain http address (${final.hostname}); models are downloaded over HTTPS only.`);
    }
    if (response.status === 401 || response.status === 403) {
      throw new Problem(422, 'Model file not accessible', `${url.hostname} refused access (HTTP ${response.status}). Gated or private models need a sign-in Hearth does not do yet; choose a public file.`);
    }
    if (response.status === 404) throw new Problem(422, 'Model file not found', `Nothing was found at that address (HTTP 404). Check the file name and copy the link again.`);
    if (!response.ok) throw new Problem(502, 'Model host error', `${url.hostname} answered HTTP ${response.status} for that address. Try again later.`);
    const head = await firstBytes(response, 8);
    if (head.subarray(0, 4).toString('latin1') !== 'GGUF') {
      const type = response.headers.get('content-type')?.split(';')[0]?.trim() || 'something else';
      const looksLikePage = type === 'text/html' || /^\s*</.test(head.toString('latin1'));
      throw new Problem(
        422,
        'Not a GGUF file',
        looksLikePage
          ? `That address serves a web page (${type}), not a GGUF model file. Use the file's download link (on Hugging Face: …/resolve/main/<file>.gguf), not the page that shows it.`
          : `That address serves ${type}, not a GGUF model file. Hearth runs models in the GGUF format only.`,
      );
    }
    if (response.status !== 206) {
      throw new Problem(422, 'Server cannot send parts of files', `${url.hostname} does not support partial downloads (HTTP range requests), so Hearth cannot check the model before downloading all of it.`);
    }
  } finally {
    await response.body?.cancel().catch(() => undefined);
  }
}

async function firstBytes(response: Response, n: number): Promise<Buffer> {
  const reader = response.body?.getReader();
  if (!reader) return Buffer.alloc(0);
  const chunks: Buffer[] = [];
  let length = 0;
  while (length < n) {
    const { value, done } = await reader.read();
    if (done || !value) break;
    chunks.push(Buffer.from(value));
    length += value.length;
  }
  await reader.cancel().catch(() => undefined);
  return Buffer.concat(chunks).subarray(0, n);
}

function errorText(err: unknown): string {
  const e = err as { cause?: { code?: string; message?: string }; message?: string };
  return e.cause?.code ?? e.cause?.message ?? e.message ?? String(err);
}

/** What a GGUF header says about a model, read from a local path or an already-checked URL. */
export interface ModelHeader {
  info: GgufFileInfo;
  insights: GgufInsights;
  /** node-llama-cpp's code for an f16 KV cache (the costly, default case). */
  f16: GgmlType;
  /** general.name from the metadata, when the file has one. */
  name: string | null;
}

/**
 * Reads only the header (metadata and tensor list) with node-llama-cpp's reader, over range
 * requests for a URL; split files (-00001-of-0000N) are read part by part.
 */
export async function readModelHeader(pathOrUrl: string, options: { llama?: Llama; signal?: AbortSignal } = {}): Promise<ModelHeader> {
  const network = /^https?:\/\//i.test(pathOrUrl);
  const { readGgufFileInfo, GgufInsights, GgmlType } = await import('node-llama-cpp');
  let info: GgufFileInfo;
  try {
    info = await readGgufFileInfo(pathOrUrl, {
      sourceType: network ? 'network' : 'filesystem',
      logWarnings: false,
      // One try: a person is waiting, and an unreachable host should say so at once.
      fetchRetryOptions: { retries: 0 },
      ...(options.signal ? { signal: options.signal } : {}),
    });
  } catch (err) {
    if (err instanceof Problem) throw err;
    if (options.signal?.aborted) throw new Problem(504, 'Model host too slow', 'Reading the model header took too long. Try again later.');
    throw new Problem(422, 'Unreadable GGUF header', `The model file's header could not be read: ${errorText(err)}.`);
  }
  const insights = await GgufInsights.from(info, options.llama);
  const name = info.metadata?.general?.name;
  return { info, insights, f16: GgmlType.F16, name: typeof name === 'string' && name.trim() ? name.trim() : null };
}

/**
 * node-llama-cpp's own estimates: weights from the tensor list, KV cache and compute buffers from
 * llama.cpp's allocation rules (f16 cache, no flash attention, one sequence: the costly case).
 * Its context figure without graph overhead also holds the output (logits) buffer; that stays
 * under kvCacheBytes, the graph scratch under overheadBytes.
 */
export function requirementsFromHeader(header: ModelHeader): ModelRequirements {
  const { insights } = header;
  const weights = insights.estimateModelResourceRequirements({ gpuLayers: 0 });
  const context = (contextSize: number, includeGraphOverhead: boolean) => {
    const r = insights.estimateContextResourceRequirements({
      contextSize,
      modelGpuLayers: 0,
      sequences: 1,
      flashAttention: false,
      includeGraphOverhead,
      kvCacheKeyType: header.f16,
      kvCacheValueType: header.f16,
    });
    return r.cpuRam + r.gpuVram;
  };
  const supported = safely(() => insights.isSupportedByLlamaCpp, true);
  const arch = header.info.metadata?.general?.architecture ?? 'unknown';
  return {
    basis: 'gguf-header',
    weightsBytes: weights.cpuRam + weights.gpuVram,
    parameters: safely(() => insights.totalParameters, null),
    trainContextSize: insights.trainContextSize ?? null,
    contextCost: (contextSize) => {
      const withOverhead = context(contextSize, true);
      const kvCacheBytes = context(contextSize, false);
      return { kvCacheBytes, overheadBytes: Math.max(0, withOverhead - kvCacheBytes) };
    },
    ...(supported ? {} : { unsupported: `The llama.cpp in this Hearth cannot run the "${String(arch)}" architecture.` }),
  };
}

function safely<T>(read: () => T, fallback: T): T {
  try {
    return read();
  } catch {
    return fallback;
  }
}
