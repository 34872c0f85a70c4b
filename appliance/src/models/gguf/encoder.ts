import { GGUF_MAGIC, GGUF_VERSION, GgufValueType } from './format.js';

/** A metadata value with the exact GGUF type llama.cpp expects for its key (it does not convert). */
export type GgufValue =
  | { readonly type: 'u32'; readonly value: number }
  | { readonly type: 'i32'; readonly value: number }
  | { readonly type: 'u64'; readonly value: bigint }
  | { readonly type: 'f32'; readonly value: number }
  | { readonly type: 'bool'; readonly value: boolean }
  | { readonly type: 'string'; readonly value: string }
  | { readonly type: 'string[]'; readonly value: readonly string[] }
  | { readonly type: 'f32[]'; readonly value: Float32Array }
  | { readonly type: 'i32[]'; readonly value: Int32Array };

export interface GgufTensorEntry {
  readonly name: string;
  /** ne0 first, as ggml counts. */
  readonly dims: readonly (number | bigint)[];
  readonly type: number;
  /** Relative to the start of the data section. */
  readonly offset: bigint;
}

/** Appends little-endian values to a growing list of buffers. */
class ByteSink {
  private readonly parts: Buffer[] = [];
  private cur = Buffer.allocUnsafe(64 * 1024);
  private used = 0;

  private room(n: number): void {
    if (this.used + n <= this.cur.length) return;
    this.parts.push(this.cur.subarray(0, this.used));
    this.cur = Buffer.allocUnsafe(Math.max(64 * 1024, n));
    this.used = 0;
  }
  u8(v: number) { this.room(1); this.cur.writeUInt8(v, this.used); this.used += 1; }
  u32(v: number) { this.room(4); this.cur.writeUInt32LE(v, this.used); this.used += 4; }
  i32(v: number) { this.room(4); this.cur.writeInt32LE(v, this.used); this.used += 4; }
  u64(v: bigint) { this.room(8); this.cur.writeBigUInt64LE(v, this.used); this.used += 8; }
  f32(v: number) { this.room(4); this.cur.writeFloatLE(v, this.used); this.used += 4; }
  str(s: string) {
    const b = Buffer.from(s, 'utf8');
    this.u64(BigInt(b.length));
    this.room(b.length);
    b.copy(this.cur, this.used);
    this.used += b.length;
  }
  done(): Buffer {
    return Buffer.concat([...this.parts, this.cur.subarray(0, this.used)]);
  }
}

function writeValue(sink: ByteSink, v: GgufValue): void {
  switch (v.type) {
    case 'u32': sink.u32(GgufValueType.UINT32); sink.u32(v.value); break;
    case 'i32': sink.u32(GgufValueType.INT32); sink.i32(v.value); break;
    case 'u64': sink.u32(GgufValueType.UINT64); sink.u64(v.value); break;
    case 'f32': sink.u32(GgufValueType.FLOAT32); sink.f32(v.value); break;
    case 'bool': sink.u32(GgufValueType.BOOL); sink.u8(v.value ? 1 : 0); break;
    case 'string': sink.u32(GgufValueType.STRING); sink.str(v.value); break;
    case 'string[]':
      sink.u32(GgufValueType.ARRAY); sink.u32(GgufValueType.STRING); sink.u64(BigInt(v.value.length));
      for (const s of v.value) sink.str(s);
      break;
    case 'f32[]':
      sink.u32(GgufValueType.ARRAY); sink.u32(GgufValueType.FLOAT32); sink.u64(BigInt(v.value.length));
      for (const x of v.value) sink.f32(x);
      break;
    case 'i32[]':
      sink.u32(GgufValueType.ARRAY); sink.u32(GgufValueType.INT32); sink.u64(BigInt(v.value.length));
      for (const x of v.value) sink.i32(x);
      break;
  }
}

/** The GGUF v3 header (magic through tensor infos), without the padding before the data section. */
export function encodeGgufHeader(metadata: ReadonlyArray<readonly [string, GgufValue]>, tensors: readonly GgufTensorEntry[]): Buffer {
  const sink = new ByteSink();
  sink.u32(GGUF_MAGIC);
  sink.u32(GGUF_VERSION);
  sink.u64(BigInt(tensors.length));
  sink.u64(BigInt(metadata.length));
  for (const [key, value] of metadata) {
    sink.str(key);
    writeValue(sink, value);
  }
  for (const t of tensors) {
    sink.str(t.name);
    sink.u32(t.dims.length);
    for (const d of t.dims) sink.u64(BigInt(d));
    sink.u32(t.type);
    sink.u64(t.offset);
  }
  return sink.done();
}
