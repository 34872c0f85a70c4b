import { endianness } from 'node:os';

/** Embedding vectors as stored in chunks.embedding: float32, little-endian, whatever the CPU. */

// On a little-endian CPU (every box Hearth runs on) an aligned BLOB is read as floats in place: several times faster.
const NATIVE_LE = endianness() === 'LE';

export function encodeVector(vector: Float32Array | readonly number[]): Buffer {
  const buf = Buffer.allocUnsafe(vector.length * 4);
  for (let i = 0; i < vector.length; i++) buf.writeFloatLE(vector[i]!, i * 4);
  return buf;
}

export function decodeVector(blob: Uint8Array): Float32Array {
  const n = blob.byteLength >>> 2;
  const out = new Float32Array(n);
  const view = new DataView(blob.buffer, blob.byteOffset, n * 4);
  for (let i = 0; i < n; i++) out[i] = view.getFloat32(i * 4, true);
  return out;
}

export function norm(v: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i]! * v[i]!;
  return Math.sqrt(s);
}

/**
 * Cosine similarity of a query (with its norm precomputed) and a stored BLOB, read in place;
 * null when the dimensions differ or a vector is zero, so such rows are skipped, not ranked.
 */
export function cosineWithBlob(query: ArrayLike<number>, queryNorm: number, blob: Uint8Array): number | null {
  if (blob.byteLength !== query.length * 4 || queryNorm === 0) return null;
  let dot = 0;
  let n2 = 0;
  if (NATIVE_LE && blob.byteOffset % 4 === 0) {
    const f = new Float32Array(blob.buffer, blob.byteOffset, query.length);
    for (let i = 0; i < f.length; i++) {
      const x = f[i]!;
      dot += query[i]! * x;
      n2 += x * x;
    }
    return n2 === 0 || !Number.isFinite(dot) ? null : dot / (queryNorm * Math.sqrt(n2));
  }
  const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  for (let i = 0; i < query.length; i++) {
    const x = view.getFloat32(i * 4, true);
    dot += query[i]! * x;
    n2 += x * x;
  }
  if (n2 === 0 || !Number.isFinite(dot)) return null;
  return dot / (queryNorm * Math.sqrt(n2));
}
