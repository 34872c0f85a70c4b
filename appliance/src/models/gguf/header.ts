import { open, type FileHandle } from 'node:fs/promises';
import {
  GGML_TYPES,
  GGUF_DEFAULT_ALIGNMENT,
  GGUF_MAGIC,
  GGUF_SCALAR_SIZE,
  GgufValueType,
  LLAMA_FILE_TYPES,
  alignUp,
  tensorByteSize,
} from './format.js';

/**
 * Reads and checks a GGUF file's header before the file is offered for loading: a download
 * that returned a web page, stopped early or carries a corrupt header is refused here with a
 * message a person can act on, instead of crashing (or hanging) the inference worker.
 * Reads only the header, in bounded chunks; tensor data is checked against the file size, not read.
 */

export interface GgufLimits {
  /** Largest header (metadata plus tensor infos) read before giving up. */
  readonly maxHeaderBytes: number;
  readonly maxTensors: number;
  readonly maxMetadataEntries: number;
  readonly maxStringBytes: number;
  readonly maxArrayLength: number;
  /** Any one tensor larger than this is a corrupt header, not a model. */
  readonly maxTensorBytes: bigint;
}

export const DEFAULT_GGUF_LIMITS: GgufLimits = {
  maxHeaderBytes: 128 << 20,
  maxTensors: 65_536,
  maxMetadataEntries: 65_536,
  maxStringBytes: 16 << 20,
  maxArrayLength: 16 << 20,
  maxTensorBytes: 1n << 40n,
};

/**
 * Scalars as numbers (64-bit integers past 2^53 as decimal strings, so a summary is always
 * JSON-safe); arrays longer than a few items only counted.
 */
export type GgufMetadataValue =
  | string
  | number
  | boolean
  | { readonly arrayOf: string; readonly length: number; readonly values?: readonly GgufMetadataValue[] };

export interface GgufTensorSummary {
  readonly name: string;
  /** ne0 first. */
  readonly dims: readonly number[];
  readonly type: number;
  readonly typeName: string;
  /** Absolute position in the file. */
  readonly fileOffset: number;
  readonly bytes: number;
}

export interface GgufFileSummary {
  readonly fileBytes: number;
  readonly version: number;
  readonly alignment: number;
  /** Where the tensor data starts (end of the header, aligned). */
  readonly dataOffset: number;
  /** Where the last tensor's data ends; the file may hold padding after it. */
  readonly dataEnd: number;
  readonly architecture: string | null;
  readonly name: string | null;
  readonly fileType: { readonly id: number; readonly name: string } | null;
  readonly contextLength: number | null;
  readonly blockCount: number | null;
  readonly embeddingLength: number | null;
  readonly headCount: number | null;
  readonly headCountKv: number | null;
  readonly parameters: number;
  readonly metadata: Readonly<Record<string, GgufMetadataValue>>;
  readonly tensors: readonly GgufTensorSummary[];
}

export type GgufCheck = { readonly ok: true; readonly info: GgufFileSummary } | { readonly ok: false; readonly error: string };

/** A refusal with its message for people; thrown inside the parser, returned as { ok: false }. */
class GgufRefusal extends Error {}

const ARRAY_VALUES_KEPT = 16;
const READ_CHUNK = 1 << 20;

/** Reads forward through the header with a 1 MiB window, refusing to go past the file or the header limit. */
class HeaderReader {
  pos = 0;
  private buf = Buffer.alloc(0);
  private bufStart = 0;

  constructor(private readonly fh: FileHandle, readonly fileBytes: number, private readonly maxHeaderBytes: number) {}

  private async ensure(n: number, what: string): Promise<void> {
    const end = this.pos + n;
    if (end > this.fileBytes) {
      throw new GgufRefusal(`truncated: the header's ${what} runs to byte ${end} but the file has ${this.fileBytes} bytes`);
    }
    if (end > this.maxHeaderBytes) {
      throw new GgufRefusal(`header is larger than ${formatLimit(this.maxHeaderBytes)} (at ${what}); not a model file this appliance will load`);
    }
    if (this.pos >= this.bufStart && end <= this.bufStart + this.buf.length) return;
    const len = Math.min(Math.max(n, READ_CHUNK), this.fileBytes - this.pos);
    const buf = Buffer.allocUnsafe(len);
    let got = 0;
    while (got < len) {
      const { bytesRead } = await this.fh.read(buf, got, len - got, this.pos + got);
      if (bytesRead === 0) throw new GgufRefusal(`truncated: the file ended at byte ${this.pos + got} while reading the header's ${what}`);
      got += bytesRead;
    }
    this.buf = buf;
    this.bufStart = this.pos;
  }
  private at(): number {
    return this.pos - this.bufStart;
  }
  async u8(what: string): Promise<number> {
    await this.ensure(1, what);
    const v = this.buf.readUInt8(this.at());
    this.pos += 1;
    return v;
  }
  async u32(what: string): Promise<number> {
    await this.ensure(4, what);
    const v = this.buf.readUInt32LE(this.at());
    this.pos += 4;
    return v;
  }
  async u64(what: string): Promise<bigint> {
    await this.ensure(8, what);
    const v = this.buf.readBigUInt64LE(this.at());
    this.pos += 8;
    return v;
  }
  async scalar(type: number, what: string): Promise<number | string | boolean> {
    const size = GGUF_SCALAR_SIZE[type]!;
    await this.ensure(size, what);
    const b = this.buf;
    const at = this.at();
    this.pos += size;
    switch (type) {
      case GgufValueType.UINT8: return b.readUInt8(at);
      case GgufValueType.INT8: return b.readInt8(at);
      case GgufValueType.UINT16: return b.readUInt16LE(at);
      case GgufValueType.INT16: return b.readInt16LE(at);
      case GgufValueType.UINT32: return b.readUInt32LE(at);
      case GgufValueType.INT32: return b.readInt32LE(at);
      case GgufValueType.FLOAT32: return b.readFloatLE(at);
      case GgufValueType.BOOL: return b.readUInt8(at) !== 0;
      case GgufValueType.UINT64: return small(b.readBigUInt64LE(at));
      case GgufValueType.INT64: return small(b.readBigInt64LE(at));
      default: return b.readDoubleLE(at);
    }
  }
  async string(maxBytes: number, what: string): Promise<string> {
    const len = await this.u64(`${what} length`);
    if (len > BigInt(maxBytes)) throw new GgufRefusal(`corrupt header: ${what} claims ${len} bytes (at most ${maxBytes} expected)`);
    const n = Number(len);
    await this.ensure(n, what);
    const s = this.buf.toString('utf8', this.at(), this.at() + n);
    this.pos += n;
    return s;
  }
  async skipString(what: string): Promise<void> {
    const len = await this.u64(`${what} length`);
    if (len > BigInt(this.fileBytes)) throw new GgufRefusal(`truncated: ${what} claims ${len} bytes but the file has ${this.fileBytes}`);
    await this.skip(Number(len), what);
  }
  /** Moves past `n` bytes without reading them (large numeric arrays). */
  async skip(n: number, what: string): Promise<void> {
    if (this.pos + n > this.fileBytes) {
      throw new GgufRefusal(`truncated: the header's ${what} runs to byte ${this.pos + n} but the file has ${this.fileBytes} bytes`);
    }
    if (this.pos + n > this.maxHeaderBytes) {
      throw new GgufRefusal(`header is larger than ${formatLimit(this.maxHeaderBytes)} (at ${what}); not a model file this appliance will load`);
    }
    this.pos += n;
  }
}

function formatLimit(n: number): string {
  return n >= 1 << 20 ? `${Math.round(n / (1 << 20))} MiB` : `${n} bytes`;
}

function small(v: bigint): number | string {
  return v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(v) : v.toString();
}

const VALUE_TYPE_NAMES: Readonly<Record<number, string>> = Object.fromEntries(
  Object.entries(GgufValueType).map(([k, v]) => [v, k.toLowerCase()]),
);

async function readValue(r: HeaderReader, type: number, key: string, limits: GgufLimits, depth = 0): Promise<GgufMetadataValue> {
  if (type === GgufValueType.STRING) return r.string(limits.maxStringBytes, `value of "${key}"`);
  if (type in GGUF_SCALAR_SIZE) return r.scalar(type, `value of "${key}"`);
  if (type !== GgufValueType.ARRAY) throw new GgufRefusal(`corrupt header: metadata "${key}" has unknown value type ${type}`);
  if (depth > 0) throw new GgufRefusal(`corrupt header: metadata "${key}" nests arrays, which GGUF does not allow`);
  const itemType = await r.u32(`item type of "${key}"`);
  const count = await r.u64(`length of "${key}"`);
  if (count > BigInt(limits.maxArrayLength)) {
    throw new GgufRefusal(`corrupt header: metadata "${key}" claims ${count} items (at most ${limits.maxArrayLength} expected)`);
  }
  const length = Number(count);
  const arrayOf = VALUE_TYPE_NAMES[itemType];
  if (!arrayOf || itemType === GgufValueType.ARRAY) {
    throw new GgufRefusal(`corrupt header: metadata "${key}" is an array of unknown type ${itemType}`);
  }
  const values: GgufMetadataValue[] = [];
  const size = GGUF_SCALAR_SIZE[itemType];
  for (let i = 0; i < length; i++) {
    if (i >= ARRAY_VALUES_KEPT) {
      // Vocabularies are long; count them, do not keep them.
      if (size !== undefined) {
        await r.skip((length - i) * size, `items of "${key}"`);
        break;
      }
      await r.skipString(`item ${i} of "${key}"`);
      continue;
    }
    values.push(await readValue(r, itemType, key, limits, depth + 1));
  }
  return length <= ARRAY_VALUES_KEPT ? { arrayOf, length, values } : { arrayOf, length };
}

/** What the first bytes of a file that is not GGUF look like, for the error message. */
function describeForeign(head: Buffer): string {
  const text = head.toString('latin1');
  const trimmed = text.trimStart().toLowerCase();
  const preview = previewBytes(head);
  if (trimmed.startsWith('<!doctype html') || trimmed.startsWith('<html') || trimmed.startsWith('<head') || trimmed.startsWith('<?xml')) {
    return `not a GGUF file (starts with ${preview}): it is a web page, probably an error or sign-in page the server sent instead of the model`;
  }
  if (trimmed.startsWith('version https://git-lfs')) {
    return `not a GGUF file (starts with ${preview}): it is a Git LFS pointer; download the file through the "resolve" link instead`;
  }
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    return `not a GGUF file (starts with ${preview}): it looks like JSON, probably an error message from the server`;
  }
  const magic = head.subarray(0, 4).toString('latin1');
  if (['lmgg', 'fmgg', 'tjgg', 'algg', 'GGML', 'GGJT'].includes(magic)) {
    return `not a GGUF file (starts with ${preview}): it is an old GGML/GGJT model; llama.cpp only loads GGUF, so get a GGUF conversion`;
  }
  if (head[0] === 0x50 && head[1] === 0x4b) return `not a GGUF file (starts with ${preview}): it is a ZIP archive`;
  if (head[0] === 0x1f && head[1] === 0x8b) return `not a GGUF file (starts with ${preview}): it is gzip-compressed`;
  if (head.length >= 9 && head.readBigUInt64LE(0) < 100_000_000n && head[8] === 0x7b) {
    return `not a GGUF file (starts with ${preview}): it looks like a safetensors file, which needs converting to GGUF`;
  }
  return `not a GGUF file (starts with ${preview})`;
}

function previewBytes(head: Buffer): string {
  const bytes = head.subarray(0, 24);
  const printable = [...bytes].filter((b) => (b >= 0x20 && b < 0x7f) || b === 0x0a || b === 0x0d || b === 0x09).length;
  if (printable >= bytes.length * 0.8) {
    return JSON.stringify(bytes.toString('latin1')).slice(0, -1) + (head.length > bytes.length ? '..."' : '"');
  }
  return `bytes ${bytes.subarray(0, 16).toString('hex').replace(/(..)/g, '$1 ').trim()}${head.length > 16 ? ' ...' : ''}`;
}

function num(v: GgufMetadataValue | undefined): number | null {
  if (typeof v === 'number') return v;
  // Per-layer arrays (e.g. head counts that differ by layer): the first layer's value.
  if (v && typeof v === 'object' && v.values && typeof v.values[0] === 'number') return v.values[0];
  return null;
}

function str(v: GgufMetadataValue | undefined): string | null {
  return typeof v === 'string' ? v : null;
}

function formatBytes(n: bigint | number): string {
  const v = Number(n);
  if (v >= 1e12) return `${(v / 1e12).toFixed(1)} TB`;
  if (v >= 1e9) return `${(v / 1e9).toFixed(2)} GB`;
  if (v >= 1e6) return `${(v / 1e6).toFixed(1)} MB`;
  return `${v} bytes`;
}

async function parse(fh: FileHandle, fileBytes: number, limits: GgufLimits): Promise<GgufFileSummary> {
  if (fileBytes === 0) throw new GgufRefusal('the file is empty (0 bytes): nothing was downloaded');
  const head = Buffer.alloc(Math.min(64, fileBytes));
  await fh.read(head, 0, head.length, 0);
  if (head.length < 4 || head.readUInt32LE(0) !== GGUF_MAGIC) throw new GgufRefusal(describeForeign(head));

  const r = new HeaderReader(fh, fileBytes, limits.maxHeaderBytes);
  r.pos = 4;
  const version = await r.u32('version');
  if (version === 1) throw new GgufRefusal('GGUF version 1 is no longer loadable by llama.cpp; get a newer conversion of this model');
  if (version > 0xffff && (version >>> 24) > 0) {
    throw new GgufRefusal(`this is a big-endian GGUF (version bytes ${version.toString(16)}), made for other hardware; get the little-endian file`);
  }
  if (version !== 2 && version !== 3) throw new GgufRefusal(`GGUF version ${version} is not supported (2 and 3 are)`);

  const tensorCount = await r.u64('tensor count');
  const kvCount = await r.u64('metadata count');
  if (tensorCount > BigInt(limits.maxTensors)) {
    throw new GgufRefusal(`corrupt header: it declares ${tensorCount} tensors (at most ${limits.maxTensors} expected)`);
  }
  if (kvCount > BigInt(limits.maxMetadataEntries)) {
    throw new GgufRefusal(`corrupt header: it declares ${kvCount} metadata entries (at most ${limits.maxMetadataEntries} expected)`);
  }

  const metadata: Record<string, GgufMetadataValue> = Object.create(null);
  for (let i = 0; i < Number(kvCount); i++) {
    const key = await r.string(65_535, `metadata key #${i}`);
    if (key in metadata) throw new GgufRefusal(`corrupt header: metadata key "${key}" appears twice`);
    const type = await r.u32(`value type of "${key}"`);
    metadata[key] = await readValue(r, type, key, limits);
  }

  const alignmentValue = metadata['general.alignment'];
  const alignment = alignmentValue === undefined ? GGUF_DEFAULT_ALIGNMENT : num(alignmentValue);
  if (alignment === null || alignment <= 0 || !Number.isInteger(alignment) || (alignment & (alignment - 1)) !== 0) {
    throw new GgufRefusal(`corrupt header: general.alignment is ${String(alignmentValue)}, not a power of two`);
  }
  const align = BigInt(alignment);

  const declared: Array<{ name: string; dims: bigint[]; type: number; offset: bigint }> = [];
  const names = new Set<string>();
  for (let i = 0; i < Number(tensorCount); i++) {
    const name = await r.string(65_535, `name of tensor #${i}`);
    if (names.has(name)) throw new GgufRefusal(`corrupt header: tensor "${name}" is listed twice`);
    names.add(name);
    const nDims = await r.u32(`dimension count of tensor "${name}"`);
    if (nDims < 1 || nDims > 4) throw new GgufRefusal(`corrupt header: tensor "${name}" has ${nDims} dimensions (1 to 4 expected)`);
    const dims: bigint[] = [];
    for (let d = 0; d < nDims; d++) dims.push(await r.u64(`shape of tensor "${name}"`));
    const type = await r.u32(`type of tensor "${name}"`);
    const offset = await r.u64(`offset of tensor "${name}"`);
    declared.push({ name, dims, type, offset });
  }

  const dataOffset = alignUp(BigInt(r.pos), align);
  const tensors: GgufTensorSummary[] = [];
  let expectedOffset = 0n;
  let parameters = 0n;
  let dataEnd = dataOffset;
  let firstBeyondEnd: { name: string; end: bigint } | null = null;
  for (const t of declared) {
    const shape = `[${t.dims.join(', ')}]`;
    const typeInfo = GGML_TYPES[t.type];
    if (!typeInfo) {
      throw new GgufRefusal(`tensor "${t.name}" has type ${t.type}, which this llama.cpp does not know (a newer quantization?)`);
    }
    let elements = 1n;
    for (const d of t.dims) elements *= d;
    const size = tensorByteSize(t.type, t.dims);
    if (!size.ok) throw new GgufRefusal(`corrupt header: tensor "${t.name}" ${shape} ${typeInfo.name}: ${size.error}`);
    if (size.bytes > limits.maxTensorBytes || elements > 1n << 53n) {
      throw new GgufRefusal(
        `corrupt header: tensor "${t.name}" declares ${formatBytes(size.bytes)} (shape ${shape}, ${typeInfo.name}), ` +
          `far larger than any model; refusing it`,
      );
    }
    if (t.offset % align !== 0n) {
      throw new GgufRefusal(`corrupt header: tensor "${t.name}" starts at data offset ${t.offset}, not a multiple of the alignment ${alignment}`);
    }
    if (t.offset !== expectedOffset) {
      throw new GgufRefusal(
        `corrupt header: tensor "${t.name}" starts at data offset ${t.offset}, but the tensors before it end at ${expectedOffset} ` +
          `(tensors must follow each other in the listed order)`,
      );
    }
    const start = dataOffset + t.offset;
    const end = start + size.bytes;
    // Keep going after the first tensor past the end: the message can then say how much is missing in all.
    if (end > BigInt(fileBytes) && !firstBeyondEnd) firstBeyondEnd = { name: t.name, end };
    tensors.push({ name: t.name, dims: t.dims.map(Number), type: t.type, typeName: typeInfo.name, fileOffset: Number(start), bytes: Number(size.bytes) });
    parameters += elements;
    expectedOffset = alignUp(t.offset + size.bytes, align);
    dataEnd = end;
  }
  if (firstBeyondEnd) {
    throw new GgufRefusal(
      `truncated: tensor "${firstBeyondEnd.name}" ends at byte ${firstBeyondEnd.end} but the file has ${fileBytes} bytes ` +
        `(the complete file has at least ${dataEnd} bytes, ${formatBytes(dataEnd - BigInt(fileBytes))} are missing: ` +
        `the download probably stopped early)`,
    );
  }

  const architecture = str(metadata['general.architecture']);
  const archKey = (k: string) => (architecture ? metadata[`${architecture}.${k}`] : undefined);
  const fileTypeId = num(metadata['general.file_type']);
  return {
    fileBytes,
    version,
    alignment,
    dataOffset: Number(dataOffset),
    dataEnd: Number(dataEnd),
    architecture,
    name: str(metadata['general.name']),
    fileType: fileTypeId === null ? null : { id: fileTypeId, name: LLAMA_FILE_TYPES[fileTypeId] ?? `type ${fileTypeId}` },
    contextLength: num(archKey('context_length')),
    blockCount: num(archKey('block_count')),
    embeddingLength: num(archKey('embedding_length')),
    headCount: num(archKey('attention.head_count')),
    headCountKv: num(archKey('attention.head_count_kv')),
    parameters: Number(parameters),
    metadata,
    tensors,
  };
}

/**
 * Checks that `path` is a GGUF file llama.cpp can map: magic, version, sane counts, readable
 * metadata, known tensor types, tensors in order, aligned, and all inside the file.
 * Never throws for a bad file; an unreadable path is reported the same way.
 */
export async function checkGgufFile(path: string, limits: Partial<GgufLimits> = {}): Promise<GgufCheck> {
  const lim = { ...DEFAULT_GGUF_LIMITS, ...limits };
  let fh: FileHandle;
  try {
    fh = await open(path, 'r');
  } catch (err) {
    return { ok: false, error: `cannot open ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` };
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) return { ok: false, error: `${path} is not a regular file` };
    return { ok: true, info: await parse(fh, st.size, lim) };
  } catch (err) {
    if (err instanceof GgufRefusal) return { ok: false, error: err.message };
    return { ok: false, error: `cannot read ${path}: ${(err as Error).message}` };
  } finally {
    await fh.close();
  }
}
