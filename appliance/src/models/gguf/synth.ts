import { open, rename, unlink, mkdir, type FileHandle } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { dirname } from 'node:path';
import { GGUF_DEFAULT_ALIGNMENT, GgmlType, alignUp } from './format.js';
import { encodeGgufHeader, type GgufTensorEntry, type GgufValue } from './encoder.js';
import { syntheticVocabulary, type SyntheticVocabulary } from './vocabulary.js';
import { WeightStream, encodeConstantRows, encodeRandomRows, rowBytes, setElement, type WeightType } from './weights.js';

/**
 * Synthetic GGUF models: llama-architecture files with random weights, written here because
 * the appliance's tests and benchmarks cannot download real ones. They load and generate
 * like a real model (gibberish, but real tokens at real speed for their shape).
 */

/** Bumped whenever the bytes written for a given (shape, type, seed) change; caches key on it. */
export const SYNTH_GENERATOR_VERSION = 1;

export interface SynthShape {
  readonly embedding: number;
  readonly layers: number;
  readonly heads: number;
  readonly kvHeads: number;
  readonly feedForward: number;
  readonly vocab: number;
  readonly context: number;
}

export const SYNTH_SHAPES = {
  /** Loads and generates in milliseconds; for tests. */
  tiny: { embedding: 128, layers: 2, heads: 4, kvHeads: 2, feedForward: 256, vocab: 768, context: 1024 },
  /** The tiny model with a 4096-token context: the catalog's demo, with room for the agents' prompts. */
  demo: { embedding: 128, layers: 2, heads: 4, kvHeads: 2, feedForward: 256, vocab: 768, context: 4096 },
  /** TinyLlama 1.1B's shape: about 1.17 GB at Q8_0; for benchmarks. */
  '1b': { embedding: 2048, layers: 22, heads: 32, kvHeads: 4, feedForward: 5632, vocab: 32000, context: 2048 },
} as const satisfies Record<string, SynthShape>;
export type SynthShapeName = keyof typeof SYNTH_SHAPES;

/** Weight types the writer produces, with the `general.file_type` each declares. */
export const SYNTH_TYPES = {
  f32: { tensorType: GgmlType.F32, fileType: 0 },
  f16: { tensorType: GgmlType.F16, fileType: 1 },
  q8_0: { tensorType: GgmlType.Q8_0, fileType: 7 },
} as const satisfies Record<string, { tensorType: WeightType; fileType: number }>;
export type SynthType = keyof typeof SYNTH_TYPES;

export const CHATML_TEMPLATE =
  "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}" +
  "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

const RMS_EPSILON = 1e-5;
const ROPE_FREQ_BASE = 10000;

/*
 * The built-in bias. Random weights give a flat next-token distribution, so a grammar-
 * constrained string could go on forever and free text would never end. One residual channel
 * (the last) therefore holds a constant for every token: the layers neither read it (their
 * norms zero it) nor write it (the rows of attn_output/ffn_down for it are zero), so it
 * reaches the output norm intact, where the `output` matrix turns it into a fixed logit
 * bonus for `"` and for EOS, and nothing for any other token.
 *
 * Sizes: the random part of every logit is about N(0, OUTPUT_LOGIT_STD²), so the best of V
 * random tokens sits near expectedMaxOfNormals(V) std; `"` is placed QUOTE_MARGIN std below
 * that (it wins roughly one step in ten: JSON strings close after 10–40 tokens) and EOS
 * EOS_MARGIN below (free text ends after tens of tokens), whatever the vocabulary size.
 */
const EMBED_STD = 1;
/** The bias channel's constant, relative to sqrt(embedding). */
const BIAS_LEVEL = 1;
/**
 * Residual energy per ordinary channel after the last layer, relative to EMBED_STD² — measured
 * on the tiny and 1b shapes through an embedding context (4.0 and 4.5); it sets how much of the
 * final RMS norm the bias channel keeps.
 */
const FINAL_RESIDUAL_ENERGY = 4.3;
/** Queries and keys larger than 1/sqrt(fan-in) make attention peaked, so the output depends on the prompt. */
const ATTENTION_SHARPNESS = 4;
/** Gain on what each layer writes into the residual stream; also for prompt dependence. */
const RESIDUAL_GAIN = 3;
const OUTPUT_LOGIT_STD = 1.5;
const QUOTE_MARGIN = -1.2;
const EOS_MARGIN = -1.9;

/** E[max of n standard normals], the usual asymptotic estimate. */
function expectedMaxOfNormals(n: number): number {
  const a = Math.sqrt(2 * Math.log(n));
  return a - (Math.log(Math.log(n)) + Math.log(4 * Math.PI)) / (2 * a);
}

export interface SynthOptions {
  readonly out: string;
  readonly shape: SynthShapeName | SynthShape;
  readonly type: SynthType;
  /** Same seed, shape and type give the same bytes. A u32; default 1. */
  readonly seed?: number;
  readonly onProgress?: (writtenBytes: number, totalBytes: number) => void;
}

export interface SynthTensorLayout {
  readonly name: string;
  readonly dims: readonly number[];
  readonly type: WeightType;
  /** Relative to the data section. */
  readonly offset: number;
  readonly bytes: number;
}

export interface SynthLayout {
  readonly shape: SynthShape;
  readonly type: SynthType;
  readonly headerBytes: number;
  readonly dataOffset: number;
  readonly tensors: readonly SynthTensorLayout[];
  readonly totalBytes: number;
  readonly parameters: number;
  readonly vocabulary: SyntheticVocabulary;
}

type RowEdit = { readonly zero?: boolean; readonly set?: ReadonlyArray<readonly [col: number, value: number]> };

interface TensorPlan {
  readonly name: string;
  readonly dims: readonly number[];
  readonly type: WeightType;
  readonly fill: { readonly random: number } | { readonly constant: number };
  readonly edit?: (row: number) => RowEdit | undefined;
}

export function resolveShape(shape: SynthShapeName | SynthShape): SynthShape {
  if (typeof shape !== 'string') return shape;
  const s = SYNTH_SHAPES[shape];
  if (!s) throw new RangeError(`unknown synthetic shape "${shape}"; known: ${Object.keys(SYNTH_SHAPES).join(', ')}`);
  return s;
}

function checkShape(s: SynthShape, type: SynthType): void {
  const bad = Object.entries(s).filter(([, v]) => !Number.isInteger(v) || v <= 0);
  if (bad.length) throw new RangeError(`shape sizes must be positive integers: ${bad.map(([k]) => k).join(', ')}`);
  if (s.embedding % s.heads) throw new RangeError(`embedding ${s.embedding} is not divisible by ${s.heads} heads`);
  if (s.heads % s.kvHeads) throw new RangeError(`${s.heads} heads are not divisible by ${s.kvHeads} KV heads`);
  if ((s.embedding / s.heads) % 2) throw new RangeError('head size must be even for RoPE');
  if (type === 'q8_0' && (s.embedding % 32 || s.feedForward % 32)) {
    throw new RangeError('Q8_0 needs embedding and feed-forward sizes that are multiples of 32');
  }
}

function planTensors(s: SynthShape, type: SynthType, vocab: SyntheticVocabulary): TensorPlan[] {
  const t = SYNTH_TYPES[type].tensorType;
  const E = s.embedding;
  const kvDim = (E / s.heads) * s.kvHeads;
  const biasChannel = E - 1;
  const biasLevel = BIAS_LEVEL * Math.sqrt(E) * EMBED_STD;
  // Share of the final RMS norm's energy the bias channel keeps, and so its normalized size.
  const biasShare = biasLevel ** 2 / (biasLevel ** 2 + (E - 1) * EMBED_STD ** 2 * FINAL_RESIDUAL_ENERGY);
  const normalizedBias = Math.sqrt(E * biasShare);
  const outStd = OUTPUT_LOGIT_STD / Math.sqrt(E * (1 - biasShare));
  const bestRandomLogit = expectedMaxOfNormals(s.vocab) * OUTPUT_LOGIT_STD;
  const bonusWeight = (margin: number) => (bestRandomLogit + margin * OUTPUT_LOGIT_STD) / normalizedBias;
  const qkStd = ATTENTION_SHARPNESS / Math.sqrt(E);
  // Residual writes scaled by 1/sqrt(2·layers) so the stream's size does not grow with depth.
  const residualScale = RESIDUAL_GAIN / Math.sqrt(2 * s.layers);
  const hideBias: RowEdit = { set: [[biasChannel, 0]] };
  const zeroBiasRow = (row: number): RowEdit | undefined => (row === biasChannel ? { zero: true } : undefined);

  const plans: TensorPlan[] = [
    { name: 'token_embd.weight', dims: [E, s.vocab], type: t, fill: { random: EMBED_STD }, edit: () => ({ set: [[biasChannel, biasLevel]] }) },
  ];
  for (let i = 0; i < s.layers; i++) {
    const p = `blk.${i}.`;
    plans.push(
      { name: `${p}attn_norm.weight`, dims: [E], type: GgmlType.F32, fill: { constant: 1 }, edit: () => hideBias },
      { name: `${p}attn_q.weight`, dims: [E, E], type: t, fill: { random: qkStd } },
      { name: `${p}attn_k.weight`, dims: [E, kvDim], type: t, fill: { random: qkStd } },
      { name: `${p}attn_v.weight`, dims: [E, kvDim], type: t, fill: { random: 1 / Math.sqrt(E) } },
      { name: `${p}attn_output.weight`, dims: [E, E], type: t, fill: { random: residualScale / Math.sqrt(E) }, edit: zeroBiasRow },
      { name: `${p}ffn_norm.weight`, dims: [E], type: GgmlType.F32, fill: { constant: 1 }, edit: () => hideBias },
      { name: `${p}ffn_gate.weight`, dims: [E, s.feedForward], type: t, fill: { random: 1 / Math.sqrt(E) } },
      { name: `${p}ffn_down.weight`, dims: [s.feedForward, E], type: t, fill: { random: residualScale / Math.sqrt(s.feedForward) }, edit: zeroBiasRow },
      { name: `${p}ffn_up.weight`, dims: [E, s.feedForward], type: t, fill: { random: 1 / Math.sqrt(E) } },
    );
  }
  const quoteBonus: RowEdit = { set: [[biasChannel, bonusWeight(QUOTE_MARGIN)]] };
  const eosBonus: RowEdit = { set: [[biasChannel, bonusWeight(EOS_MARGIN)]] };
  plans.push(
    { name: 'output_norm.weight', dims: [E], type: GgmlType.F32, fill: { constant: 1 } },
    {
      name: 'output.weight', dims: [E, s.vocab], type: t, fill: { random: outStd },
      edit: (token) => (token === vocab.quote ? quoteBonus : token === vocab.eos ? eosBonus : hideBias),
    },
  );
  return plans;
}

function metadata(s: SynthShape, type: SynthType, seed: number, vocab: SyntheticVocabulary): Array<[string, GgufValue]> {
  const u32 = (value: number): GgufValue => ({ type: 'u32', value });
  const str = (value: string): GgufValue => ({ type: 'string', value });
  const kv: Array<[string, GgufValue]> = [
    ['general.architecture', str('llama')],
    ['general.name', str(`Hearth synthetic ${s.embedding}x${s.layers} ${type}`)],
    ['general.description', str('Random weights generated by Hearth for tests and benchmarks; its output is gibberish.')],
    ['general.file_type', u32(SYNTH_TYPES[type].fileType)],
    ['general.alignment', u32(GGUF_DEFAULT_ALIGNMENT)],
    ['llama.context_length', u32(s.context)],
    ['llama.embedding_length', u32(s.embedding)],
    ['llama.block_count', u32(s.layers)],
    ['llama.feed_forward_length', u32(s.feedForward)],
    ['llama.rope.dimension_count', u32(s.embedding / s.heads)],
    ['llama.rope.freq_base', { type: 'f32', value: ROPE_FREQ_BASE }],
    ['llama.attention.head_count', u32(s.heads)],
    ['llama.attention.head_count_kv', u32(s.kvHeads)],
    ['llama.attention.layer_norm_rms_epsilon', { type: 'f32', value: RMS_EPSILON }],
    ['llama.vocab_size', u32(s.vocab)],
    ['tokenizer.ggml.model', str('llama')],
    ['tokenizer.ggml.tokens', { type: 'string[]', value: vocab.tokens }],
    ['tokenizer.ggml.scores', { type: 'f32[]', value: vocab.scores }],
    ['tokenizer.ggml.token_type', { type: 'i32[]', value: vocab.types }],
    ['tokenizer.ggml.bos_token_id', u32(vocab.bos)],
    ['tokenizer.ggml.eos_token_id', u32(vocab.eos)],
    ['tokenizer.ggml.unknown_token_id', u32(vocab.unk)],
    ['tokenizer.ggml.add_bos_token', { type: 'bool', value: true }],
    ['tokenizer.ggml.add_eos_token', { type: 'bool', value: false }],
    ['tokenizer.chat_template', str(CHATML_TEMPLATE)],
    ['hearth.synthetic.generator_version', u32(SYNTH_GENERATOR_VERSION)],
    ['hearth.synthetic.seed', u32(seed)],
  ];
  if (type === 'q8_0') kv.push(['general.quantization_version', u32(2)]);
  return kv;
}

function tensorBytes(p: TensorPlan): number {
  return rowBytes(p.type, p.dims[0]!) * (p.dims[1] ?? 1);
}

function layoutOf(shape: SynthShape, type: SynthType, seed: number) {
  checkShape(shape, type);
  const vocabulary = syntheticVocabulary(shape.vocab);
  const plans = planTensors(shape, type, vocabulary);
  const align = BigInt(GGUF_DEFAULT_ALIGNMENT);
  let offset = 0n;
  const entries: GgufTensorEntry[] = [];
  const tensors: SynthTensorLayout[] = [];
  let parameters = 0;
  for (const p of plans) {
    const bytes = tensorBytes(p);
    entries.push({ name: p.name, dims: p.dims, type: p.type, offset });
    tensors.push({ name: p.name, dims: p.dims, type: p.type, offset: Number(offset), bytes });
    parameters += p.dims.reduce((a, b) => a * b, 1);
    offset = alignUp(offset + BigInt(bytes), align);
  }
  const header = encodeGgufHeader(metadata(shape, type, seed, vocabulary), entries);
  const dataOffset = Number(alignUp(BigInt(header.length), align));
  const layout: SynthLayout = {
    shape, type, headerBytes: header.length, dataOffset, tensors,
    totalBytes: dataOffset + Number(offset), parameters, vocabulary,
  };
  return { layout, header, plans };
}

/** Where every tensor goes and how big the file will be, without writing anything. */
export function syntheticModelLayout(shape: SynthShapeName | SynthShape, type: SynthType): SynthLayout {
  return layoutOf(resolveShape(shape), type, 1).layout;
}

/** The exact size in bytes of the file writeSyntheticModel produces for this shape and type (any seed). */
export function syntheticModelSize(shape: SynthShapeName | SynthShape, type: SynthType): number {
  return syntheticModelLayout(shape, type).totalBytes;
}

/**
 * The file's first `dataOffset` bytes: header plus padding. Extended (sparsely) to
 * syntheticModelSize it makes a file the header validator accepts, without writing the weights.
 */
export function syntheticModelHeader(shape: SynthShapeName | SynthShape, type: SynthType, seed = 1): Buffer {
  const { layout, header } = layoutOf(resolveShape(shape), type, seed);
  return Buffer.concat([header, Buffer.alloc(layout.dataOffset - header.length)]);
}

const CHUNK_BYTES = 8 << 20;

/**
 * Streams a synthetic model to `out`: written to `<out>.<unique>.partial`, fsynced, then renamed,
 * so `out` is either absent or complete. Memory stays at a few chunks whatever the shape.
 */
export async function writeSyntheticModel(options: SynthOptions): Promise<{ path: string; bytes: number; elapsedMs: number }> {
  const started = performance.now();
  const seed = options.seed ?? 1;
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new RangeError(`seed must be a u32, got ${seed}`);
  const { layout, header, plans } = layoutOf(resolveShape(options.shape), options.type, seed);

  await mkdir(dirname(options.out), { recursive: true });
  const partial = `${options.out}.${process.pid}-${randomBytes(4).toString('hex')}.partial`;
  const fh = await open(partial, 'w', 0o644);
  try {
    const writer = new SequentialWriter(fh, (n) => options.onProgress?.(n, layout.totalBytes));
    await writer.write(header);
    await writer.write(Buffer.alloc(layout.dataOffset - header.length));
    for (const p of plans) await writeTensor(writer, p, seed);
    await writer.flush();
    if (writer.position !== layout.totalBytes) {
      throw new Error(`internal: wrote ${writer.position} bytes, planned ${layout.totalBytes}`);
    }
    await fh.sync();
  } catch (err) {
    await fh.close().catch(() => undefined);
    await unlink(partial).catch(() => undefined);
    throw err;
  }
  await fh.close();
  await rename(partial, options.out);
  await syncDir(dirname(options.out));
  return { path: options.out, bytes: layout.totalBytes, elapsedMs: performance.now() - started };
}

async function writeTensor(writer: SequentialWriter, p: TensorPlan, seed: number): Promise<void> {
  const rb = rowBytes(p.type, p.dims[0]!);
  const rows = p.dims[1] ?? 1;
  const rowsPerChunk = Math.max(1, Math.floor(CHUNK_BYTES / rb));
  const stream = 'random' in p.fill ? new WeightStream(seed, p.name) : null;
  for (let first = 0; first < rows; first += rowsPerChunk) {
    const n = Math.min(rowsPerChunk, rows - first);
    let chunk: Buffer;
    if ('random' in p.fill) {
      chunk = stream!.next(n * rb);
      encodeRandomRows(chunk, p.type, p.fill.random);
    } else {
      chunk = Buffer.alloc(n * rb);
      encodeConstantRows(chunk, p.type, p.fill.constant);
    }
    if (p.edit) {
      for (let r = 0; r < n; r++) {
        const e = p.edit(first + r);
        if (!e) continue;
        const row = chunk.subarray(r * rb, (r + 1) * rb);
        if (e.zero) row.fill(0);
        for (const [col, value] of e.set ?? []) setElement(row, p.type, col, value);
      }
    }
    await writer.write(chunk);
  }
  const bytes = rb * rows;
  const pad = Number(alignUp(BigInt(bytes), BigInt(GGUF_DEFAULT_ALIGNMENT))) - bytes;
  if (pad) await writer.write(Buffer.alloc(pad));
}

/** Keeps one write in flight so the next chunk is generated while the disk works. */
class SequentialWriter {
  position = 0;
  private inFlight: Promise<void> = Promise.resolve();
  constructor(private readonly fh: FileHandle, private readonly onWritten: (position: number) => void) {}

  async write(buf: Buffer): Promise<void> {
    await this.inFlight;
    const at = this.position;
    this.position += buf.length;
    this.inFlight = writeAll(this.fh, buf, at).then(() => this.onWritten(at + buf.length));
    // A rejected in-flight write surfaces on the next write or flush; keep it from being "unhandled" meanwhile.
    this.inFlight.catch(() => undefined);
  }
  async flush(): Promise<void> {
    await this.inFlight;
  }
}

async function writeAll(fh: FileHandle, buf: Buffer, position: number): Promise<void> {
  let done = 0;
  while (done < buf.length) {
    const { bytesWritten } = await fh.write(buf, done, buf.length - done, position + done);
    done += bytesWritten;
  }
}

async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
