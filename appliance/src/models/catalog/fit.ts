import { Problem } from '../../http/problem.js';
import type { CatalogEntry, ModelArchitecture } from './catalog.js';
import type { MachineMemory } from './machine-memory.js';

const MiB = 1024 ** 2;
const GiB = 1024 ** 3;

/** The context the agents get when the model allows it; more costs memory every model load. */
export const DEFAULT_CONTEXT_SIZE = 8192;
/** Below this the agents cannot fit a document and an answer: a smaller context is no fit. */
export const MIN_CONTEXT_SIZE = 2048;
/** llama.cpp pads context sizes to this. */
const CONTEXT_STEP = 256;
/** The batch llama.cpp evaluates at once by default; sizes its scratch buffers. */
const BATCH_SIZE = 512;

/** Memory kept for the OS, hearthd and the page cache of the shares: the larger of the two. */
export const HEADROOM_MIN_BYTES = 1.5 * GiB;
export const HEADROOM_FRACTION = 0.1;
/** VRAM a discrete GPU keeps for its driver and display. */
const VRAM_HEADROOM_MIN_BYTES = 512 * MiB;
const VRAM_HEADROOM_FRACTION = 0.05;

export type FitKind = 'fits' | 'fits-smaller-context' | 'does-not-fit';
export type FitBasis = 'gguf-header' | 'catalog';
export type ModelSource = 'huggingface' | 'synthetic' | 'custom';

/** Memory a context of a given size costs on top of the weights. */
export interface ContextCost {
  kvCacheBytes: number;
  /** Compute scratch and output buffers. */
  overheadBytes: number;
}

/** What a model needs, from its GGUF header or, failing that, from the catalog's figures. */
export interface ModelRequirements {
  basis: FitBasis;
  weightsBytes: number;
  parameters: number | null;
  /** The context the model was trained for; caps the context asked for. */
  trainContextSize: number | null;
  contextCost(contextSize: number): ContextCost;
  /** Set when the model cannot run here at all, whatever the memory (an architecture llama.cpp lacks). */
  unsupported?: string;
}

export interface FitSubject {
  modelId: string;
  name: string;
  source: ModelSource;
}

export interface FitOptions {
  /** Context to check for; capped by the model's trained context. Default 8192. */
  contextSize?: number;
  /** Smallest context worth running. Default 2048. */
  minContextSize?: number;
}

/** The memory a model may use on this machine, with what was held back and why. */
export interface MemoryBudget {
  usableBytes: number;
  freeRamBytes: number;
  freeVramBytes: number;
  headroomBytes: number;
  unified: boolean;
}

/** A verdict and the numbers behind it; every figure is an estimate. */
export interface FitVerdict extends FitSubject {
  verdict: FitKind;
  /** The context the numbers are for: the one asked for, the largest that fits, or the smallest tried. */
  contextSize: number;
  requestedContextSize: number;
  /** Largest context that fits (a multiple of 256), or null when not even the minimum does. */
  maxContextSize: number | null;
  basis: FitBasis;
  estimate: true;
  parameters: number | null;
  need: { weightsBytes: number; kvCacheBytes: number; overheadBytes: number; totalBytes: number };
  have: MemoryBudget;
  /** One sentence a person can act on. */
  reason: string;
}

/**
 * Memory a model may take. Unified memory is one pool, counted once (the smaller of what the OS
 * and the GPU report free); a discrete GPU adds its VRAM, since llama.cpp splits layers across both.
 */
export function memoryBudget(memory: MachineMemory): MemoryBudget {
  const headroomBytes = Math.max(HEADROOM_MIN_BYTES, HEADROOM_FRACTION * memory.totalRam);
  const hasGpu = memory.vram.total > 0;
  if (memory.unified) {
    const pool = hasGpu ? Math.min(memory.freeRam, memory.vram.free) : memory.freeRam;
    return { usableBytes: Math.max(0, pool - headroomBytes), freeRamBytes: memory.freeRam, freeVramBytes: memory.vram.free, headroomBytes, unified: true };
  }
  const vramHeadroom = hasGpu ? Math.max(VRAM_HEADROOM_MIN_BYTES, VRAM_HEADROOM_FRACTION * memory.vram.total) : 0;
  const usableVram = hasGpu ? Math.max(0, memory.vram.free - vramHeadroom) : 0;
  return {
    usableBytes: Math.max(0, memory.freeRam - headroomBytes) + usableVram,
    freeRamBytes: memory.freeRam,
    freeVramBytes: memory.vram.free,
    headroomBytes: headroomBytes + vramHeadroom,
    unified: false,
  };
}

/** The verdict for one model on one machine. */
export function computeFit(subject: FitSubject, req: ModelRequirements, memory: MachineMemory, options: FitOptions = {}): FitVerdict {
  const have = memoryBudget(memory);
  const asked = options.contextSize ?? DEFAULT_CONTEXT_SIZE;
  const requested = Math.max(1, Math.min(asked, req.trainContextSize ?? asked));
  const minimum = Math.min(options.minContextSize ?? MIN_CONTEXT_SIZE, requested);
  const needAt = (contextSize: number) => {
    const cost = req.contextCost(contextSize);
    const totalBytes = req.weightsBytes + cost.kvCacheBytes + cost.overheadBytes;
    return { weightsBytes: req.weightsBytes, kvCacheBytes: cost.kvCacheBytes, overheadBytes: cost.overheadBytes, totalBytes };
  };
  const fitsAt = (contextSize: number) => needAt(contextSize).totalBytes <= have.usableBytes;
  const base = { ...subject, requestedContextSize: requested, basis: req.basis, estimate: true as const, parameters: req.parameters, have };

  if (req.unsupported) {
    const need = needAt(minimum);
    return { ...base, verdict: 'does-not-fit', contextSize: minimum, maxContextSize: null, need, reason: req.unsupported };
  }
  if (fitsAt(requested)) {
    const need = needAt(requested);
    return {
      ...base,
      verdict: 'fits',
      contextSize: requested,
      maxContextSize: requested,
      need,
      reason: `Fits: needs about ${formatMemory(need.totalBytes)} with a ${requested}-token context, and ${formatMemory(have.usableBytes)} is free for models.`,
    };
  }
  if (!fitsAt(minimum)) {
    const need = needAt(minimum);
    return {
      ...base,
      verdict: 'does-not-fit',
      contextSize: minimum,
      maxContextSize: null,
      need,
      reason:
        `Does not fit: needs about ${formatMemory(need.totalBytes)} (${formatMemory(need.weightsBytes)} of weights plus ${formatMemory(need.kvCacheBytes + need.overheadBytes)} for a ${minimum}-token context), ` +
        `but only ${formatMemory(have.usableBytes)} is free for models after keeping ${formatMemory(have.headroomBytes)} for the system. Choose a smaller model.`,
    };
  }
  const largest = largestFittingContext(minimum, requested, fitsAt);
  const need = needAt(largest);
  return {
    ...base,
    verdict: 'fits-smaller-context',
    contextSize: largest,
    maxContextSize: largest,
    need,
    reason: `Fits with a ${largest}-token context instead of ${requested}: the full context would need about ${formatMemory(needAt(requested).totalBytes)} and ${formatMemory(have.usableBytes)} is free for models.`,
  };
}

/** Binary search over llama.cpp's 256-token steps; `minimum` is known to fit and `requested` not. */
function largestFittingContext(minimum: number, requested: number, fitsAt: (n: number) => boolean): number {
  let lo = Math.floor(minimum / CONTEXT_STEP);
  let hi = Math.ceil(requested / CONTEXT_STEP);
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (fitsAt(mid * CONTEXT_STEP)) lo = mid;
    else hi = mid;
  }
  return Math.max(minimum, lo * CONTEXT_STEP);
}

/**
 * The largest model that fits with the full context the agents need; the synthetic demo is never
 * recommended (it is offered on its own when nothing real fits). Null when no real model fits.
 */
export function recommend(verdicts: readonly FitVerdict[]): FitVerdict | null {
  const candidates = verdicts.filter((v) => v.verdict === 'fits' && v.source !== 'synthetic');
  // Parameters say "largest" better than bytes (a 4-bit 32B beats an 8-bit 14B); bytes break ties.
  const larger = (a: FitVerdict, b: FitVerdict) => {
    const pa = a.parameters ?? a.need.weightsBytes;
    const pb = b.parameters ?? b.need.weightsBytes;
    return pa !== pb ? pa > pb : a.need.weightsBytes > b.need.weightsBytes;
  };
  let best: FitVerdict | null = null;
  for (const v of candidates) if (best === null || larger(v, best)) best = v;
  return best;
}

/**
 * A model that does not fit is downloaded only on an explicit override (a person may be about to
 * add memory, or copy the file elsewhere); anything else passes.
 */
export function assertDownloadAllowed(verdict: FitVerdict, options: { override?: boolean } = {}): void {
  if (verdict.verdict !== 'does-not-fit' || options.override === true) return;
  throw new Problem(
    409,
    'Model does not fit',
    `${verdict.name} does not fit on this machine. ${verdict.reason} To download it anyway, repeat the request with the override set.`,
    fitFields(verdict),
  );
}

/**
 * Guards every load: a model that does not fit is never loaded (llama.cpp would be killed for
 * memory, or take the box down), whatever was overridden at download. Returns the context to load
 * with: the one asked for, or the largest that fits.
 */
export function assertLoadAllowed(verdict: FitVerdict, options: { contextSize?: number } = {}): { contextSize: number } {
  if (verdict.verdict === 'does-not-fit' || verdict.maxContextSize === null) {
    throw new Problem(409, 'Model does not fit', `${verdict.name} cannot be loaded on this machine. ${verdict.reason}`, fitFields(verdict));
  }
  const asked = options.contextSize;
  if (asked !== undefined && asked > verdict.maxContextSize) {
    throw new Problem(
      409,
      'Context too large',
      `${verdict.name} fits with at most a ${verdict.maxContextSize}-token context on this machine; ${asked} tokens would run out of memory. Choose ${verdict.maxContextSize} or less.`,
      fitFields(verdict),
    );
  }
  return { contextSize: asked ?? verdict.maxContextSize };
}

function fitFields(v: FitVerdict): Record<string, unknown> {
  return { modelId: v.modelId, verdict: v.verdict, needBytes: v.need.totalBytes, usableBytes: v.have.usableBytes, maxContextSize: v.maxContextSize };
}

/** A requirement model from the catalog's own numbers, for when the GGUF header cannot be read. */
export function requirementsFromCatalog(entry: CatalogEntry): ModelRequirements {
  const arch = entry.architecture;
  return {
    basis: 'catalog',
    weightsBytes: entry.sizeBytes,
    parameters: entry.parameters,
    trainContextSize: entry.contextLength,
    contextCost: (contextSize) => ({
      kvCacheBytes: arch ? kvCacheBytes(arch, contextSize) : roughKvBytes(entry.parameters, contextSize),
      overheadBytes: computeOverheadBytes(arch, contextSize, entry.sizeBytes),
    }),
  };
}

/**
 * f16 K and V for every layer; sliding-window layers only keep their window (plus a batch),
 * as llama.cpp sizes them.
 */
export function kvCacheBytes(arch: ModelArchitecture, contextSize: number): number {
  const perTokenPerLayer = 2 * arch.kvHeads * arch.headDim * 2;
  const fullLayers = arch.slidingWindow === null ? arch.layers : Math.min(arch.layers, arch.fullAttentionLayers ?? arch.layers);
  const windowLayers = arch.layers - fullLayers;
  const windowTokens = arch.slidingWindow === null ? 0 : Math.min(contextSize, padTo(arch.slidingWindow + BATCH_SIZE + 1, CONTEXT_STEP));
  return perTokenPerLayer * (fullLayers * contextSize + windowLayers * windowTokens);
}

/** Without architecture numbers: about 16 bytes of KV per token per million parameters (a GQA 8B model's ratio). */
function roughKvBytes(parameters: number, contextSize: number): number {
  return 1.6e-5 * parameters * contextSize;
}

/**
 * Scratch memory without flash attention: the attention scores of one batch against the whole
 * context (heads × context × batch floats), the logits of a batch, and graph buffers.
 */
function computeOverheadBytes(arch: ModelArchitecture | null, contextSize: number, weightsBytes: number): number {
  if (!arch) return 256 * MiB + 0.03 * weightsBytes;
  const batch = Math.min(contextSize, BATCH_SIZE);
  return 32 * MiB + arch.heads * contextSize * batch * 4 + arch.vocab * batch * 4;
}

function padTo(n: number, step: number): number {
  return Math.ceil(n / step) * step;
}

/** Bytes as a person reads memory sizes. */
export function formatMemory(bytes: number): string {
  if (bytes < GiB) return `${Math.max(1, Math.round(bytes / MiB))} MiB`;
  return `${(bytes / GiB).toFixed(1)} GiB`;
}
