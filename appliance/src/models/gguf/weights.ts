import { createCipheriv, createHash, type Cipher } from 'node:crypto';
import { GgmlType } from './format.js';

export type WeightType = (typeof GgmlType)[keyof typeof GgmlType];

const scratchF32 = new Float32Array(1);
const scratchU32 = new Uint32Array(scratchF32.buffer);

/** IEEE half from a float, rounding to nearest even (as ggml's GGML_FP32_TO_FP16 does). */
export function f32ToF16(x: number): number {
  scratchF32[0] = x;
  const bits = scratchU32[0]!;
  const sign = (bits >>> 16) & 0x8000;
  const exp = (bits >>> 23) & 0xff;
  let mant = bits & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let h = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    if (rem > half || (rem === half && h & 1)) h++;
    return sign | h;
  }
  let h = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && h & 1)) h++; // a carry into the exponent is the right answer
  return sign | h;
}

export function f16ToF32(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

/** Bytes of one row of `ne0` elements. */
export function rowBytes(type: WeightType, ne0: number): number {
  if (type === GgmlType.F32) return ne0 * 4;
  if (type === GgmlType.F16) return ne0 * 2;
  return (ne0 / 32) * 34;
}

/**
 * A deterministic byte stream per (seed, tensor): AES-128-CTR over zeros. AES-NI makes it
 * several GB/s, so a 1 GB model is limited by the disk, not by the random numbers.
 */
export class WeightStream {
  private readonly cipher: Cipher;
  constructor(seed: number, tensorName: string) {
    const key = createHash('sha256').update(`hearth-synth:${seed}:${tensorName}`).digest().subarray(0, 16);
    this.cipher = createCipheriv('aes-128-ctr', key, Buffer.alloc(16));
  }
  /** The next `n` bytes, in a fresh buffer the caller may keep and modify. */
  next(n: number): Buffer {
    const out = this.cipher.update(zeros(n));
    // The conversions below view the bytes as 32-bit words; OpenSSL output is its own allocation, but be sure.
    return out.byteOffset % 4 === 0 ? out : Buffer.from(out);
  }
}

let zeroBuf = Buffer.alloc(0);
function zeros(n: number): Buffer {
  if (zeroBuf.length < n) zeroBuf = Buffer.alloc(Math.max(n, 1 << 20));
  return zeroBuf.subarray(0, n);
}

/** Std of a uniform int8 in [-128, 127]: a Q8_0 block of random bytes with scale d has std d × this. */
const INT8_UNIFORM_STD = Math.sqrt((256 * 256 - 1) / 12);

/**
 * Turns `rows` rows of random bytes into encoded weights with the given standard deviation,
 * in place: uniform floats for F32/F16, uniform int8 with one shared scale for Q8_0.
 */
export function encodeRandomRows(bytes: Buffer, type: WeightType, std: number): void {
  if (type === GgmlType.Q8_0) {
    const d = f32ToF16(std / INT8_UNIFORM_STD);
    const lo = d & 0xff;
    const hi = d >>> 8;
    for (let at = 0; at < bytes.length; at += 34) {
      bytes[at] = lo;
      bytes[at + 1] = hi;
    }
    return;
  }
  const a = std * Math.sqrt(3); // uniform on [-a, a] has this std
  if (type === GgmlType.F32) {
    const words = new Int32Array(bytes.buffer, bytes.byteOffset, bytes.length >>> 2);
    const floats = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length >>> 2);
    const k = a / 2 ** 31;
    for (let i = 0; i < words.length; i++) floats[i] = words[i]! * k;
    return;
  }
  // F16 from 16 random bits: only 65536 inputs, so convert through a table instead of per element.
  const table = halfTable(a);
  const words = new Uint16Array(bytes.buffer, bytes.byteOffset, bytes.length >>> 1);
  for (let i = 0; i < words.length; i++) words[i] = table[words[i]!]!;
}

let lastHalfTable: { a: number; table: Uint16Array } | null = null;

/** f16 bits of (int16 value of the index) × a / 2^15. */
function halfTable(a: number): Uint16Array {
  if (lastHalfTable?.a === a) return lastHalfTable.table;
  const table = new Uint16Array(65536);
  const k = a / 2 ** 15;
  for (let u = 0; u < 65536; u++) table[u] = f32ToF16(((u << 16) >> 16) * k);
  lastHalfTable = { a, table };
  return table;
}

/** Fills encoded rows with one constant (norm weights). */
export function encodeConstantRows(bytes: Buffer, type: WeightType, value: number): void {
  if (type === GgmlType.F32) {
    new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length >>> 2).fill(value);
  } else if (type === GgmlType.F16) {
    new Uint16Array(bytes.buffer, bytes.byteOffset, bytes.length >>> 1).fill(f32ToF16(value));
  } else {
    for (let at = 0; at < bytes.length; at += 34) {
      const block = new Float32Array(32).fill(value);
      writeQ8Block(bytes, at, block);
    }
  }
}

/** Sets one element of an encoded row; for Q8_0 the element's block is re-quantized around it. */
export function setElement(row: Buffer, type: WeightType, col: number, value: number): void {
  if (type === GgmlType.F32) {
    row.writeFloatLE(value, col * 4);
  } else if (type === GgmlType.F16) {
    row.writeUInt16LE(f32ToF16(value), col * 2);
  } else {
    const at = (col >>> 5) * 34;
    const block = readQ8Block(row, at);
    block[col & 31] = value;
    writeQ8Block(row, at, block);
  }
}

function readQ8Block(buf: Buffer, at: number): Float32Array {
  const d = f16ToF32(buf.readUInt16LE(at));
  const out = new Float32Array(32);
  for (let i = 0; i < 32; i++) out[i] = d * buf.readInt8(at + 2 + i);
  return out;
}

/** ggml's quantize_row_q8_0_ref: scale = max|x| / 127, q = round(x / scale). */
function writeQ8Block(buf: Buffer, at: number, x: Float32Array): void {
  let amax = 0;
  for (let i = 0; i < 32; i++) amax = Math.max(amax, Math.abs(x[i]!));
  const d = amax / 127;
  const id = d ? 1 / d : 0;
  buf.writeUInt16LE(f32ToF16(d), at);
  for (let i = 0; i < 32; i++) buf.writeInt8(Math.max(-127, Math.min(127, Math.round(x[i]! * id))), at + 2 + i);
}
