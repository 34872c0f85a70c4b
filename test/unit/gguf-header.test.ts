import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { copyFile, mkdtemp, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkGgufFile } from '../../appliance/src/models/gguf/header.js';
import { encodeGgufHeader, type GgufTensorEntry, type GgufValue } from '../../appliance/src/models/gguf/encoder.js';
import { syntheticModelLayout, writeSyntheticModel } from '../../appliance/src/models/gguf/synth.js';

let dir = '';
let model = '';

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hearth-gguf-header-'));
  model = join(dir, 'tiny.gguf');
  await writeSyntheticModel({ out: model, shape: 'tiny', type: 'q8_0' });
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function file(name: string, content: Buffer | string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, content);
  return path;
}

async function refusal(path: string): Promise<string> {
  const r = await checkGgufFile(path);
  assert.equal(r.ok, false, `${path} should be refused`);
  return r.ok ? '' : r.error;
}

const arch: Array<[string, GgufValue]> = [['general.architecture', { type: 'string', value: 'llama' }]];

/** A small GGUF: header, padding to 32, then `dataBytes` zero bytes. */
function gguf(tensors: GgufTensorEntry[], dataBytes: number, metadata = arch): Buffer {
  const header = encodeGgufHeader(metadata, tensors);
  const pad = (32 - (header.length % 32)) % 32;
  return Buffer.concat([header, Buffer.alloc(pad + dataBytes)]);
}

test('accepts a generated model and reports what it is', async () => {
  const r = await checkGgufFile(model);
  assert.ok(r.ok, !r.ok ? r.error : '');
  const layout = syntheticModelLayout('tiny', 'q8_0');
  assert.equal(r.info.version, 3);
  assert.equal(r.info.architecture, 'llama');
  assert.match(r.info.name ?? '', /Hearth synthetic/);
  assert.deepEqual(r.info.fileType, { id: 7, name: 'Q8_0' });
  assert.equal(r.info.embeddingLength, 128);
  assert.equal(r.info.blockCount, 2);
  assert.equal(r.info.headCount, 4);
  assert.equal(r.info.headCountKv, 2);
  assert.equal(r.info.contextLength, 1024);
  assert.equal(r.info.fileBytes, layout.totalBytes);
  assert.equal(r.info.dataOffset, layout.dataOffset);
  assert.equal(r.info.parameters, layout.parameters);
  assert.equal(r.info.tensors.length, layout.tensors.length);
  assert.equal(r.info.tensors.find((t) => t.name === 'output.weight')?.typeName, 'Q8_0');
  const tokens = r.info.metadata['tokenizer.ggml.tokens'];
  assert.deepEqual(tokens, { arrayOf: 'string', length: 768 }, 'long arrays are counted, not kept');
  assert.equal(r.info.metadata['tokenizer.ggml.model'], 'llama');
});

test('a small valid hand-made GGUF passes', async () => {
  const path = await file('small.gguf', gguf([
    { name: 'a', dims: [32, 2], type: 8, offset: 0n }, // 68 bytes, padded to 96
    { name: 'b', dims: [3], type: 0, offset: 96n },
  ], 96 + 12));
  const r = await checkGgufFile(path);
  assert.ok(r.ok, !r.ok ? r.error : '');
  assert.equal(r.info.parameters, 67);
});

test('refuses a truncated download, naming the tensor and the sizes', async () => {
  const path = join(dir, 'truncated.gguf');
  await copyFile(model, path);
  const layout = syntheticModelLayout('tiny', 'q8_0');
  await truncate(path, Math.floor(layout.totalBytes / 2));
  assert.match(await refusal(path), /^truncated: tensor "[^"]+" ends at byte \d+ but the file has \d+ bytes \(the complete file has at least \d+ bytes, .* are missing: the download probably stopped early\)$/);
  await truncate(path, 5000); // inside the vocabulary
  assert.match(await refusal(path), /^truncated: the header's .* runs to byte \d+ but the file has 5000 bytes$/);
  await truncate(path, 0);
  assert.match(await refusal(path), /empty/);
});

test('refuses random bytes, an HTML page, a Git LFS pointer and JSON, saying what they are', async () => {
  assert.match(await refusal(await file('random.bin', randomBytes(4096))), /^not a GGUF file \(starts with (bytes [0-9a-f ]+|".*")/);
  const html = await refusal(await file('page.gguf', '<!DOCTYPE html>\n<html><head><title>Sign in</title></head><body>...</body></html>'));
  assert.match(html, /^not a GGUF file \(starts with "<!DOCTYPE html>\\n<html><h\.\.\."\): it is a web page/);
  assert.match(await refusal(await file('lfs.gguf', 'version https://git-lfs.github.com/spec/v1\noid sha256:abc\nsize 123\n')), /Git LFS pointer/);
  assert.match(await refusal(await file('err.gguf', '{"error":"Repository not found"}')), /looks like JSON/);
  assert.match(await refusal(await file('tiny.gguf.txt', 'GG')), /^not a GGUF file/);
});

test('refuses a GGUF that declares a huge tensor, without trying to read it', async () => {
  const path = await file('huge.gguf', gguf([{ name: 'token_embd.weight', dims: [1n << 20n, 1n << 20n, 1n << 10n], type: 0, offset: 0n }], 64));
  assert.match(await refusal(path), /^corrupt header: tensor "token_embd.weight" declares 4\d\d\d\.\d TB \(shape \[1048576, 1048576, 1024\], F32\), far larger than any model/);
  const big = await file('big.gguf', gguf([{ name: 'w', dims: [4096, 1 << 20], type: 1, offset: 0n }], 64));
  assert.match(await refusal(big), /^truncated: tensor "w" ends at byte \d+ but the file has \d+ bytes \(the complete file has at least \d+ bytes, 8\.59 GB are missing/);
});

test('refuses corrupt headers with a reason', async () => {
  const cases: Array<[string, Buffer, RegExp]> = [
    ['unknown type', gguf([{ name: 'w', dims: [32], type: 99, offset: 0n }], 128), /tensor "w" has type 99, which this llama.cpp does not know/],
    ['block size', gguf([{ name: 'w', dims: [30, 2], type: 8, offset: 0n }], 128), /not a multiple of the Q8_0 block size 32/],
    ['misaligned', gguf([{ name: 'a', dims: [4], type: 0, offset: 0n }, { name: 'b', dims: [4], type: 0, offset: 16n }], 128), /not a multiple of the alignment 32/],
    ['out of order', gguf([{ name: 'a', dims: [4], type: 0, offset: 32n }, { name: 'b', dims: [4], type: 0, offset: 0n }], 128), /tensor "a" starts at data offset 32, but the tensors before it end at 0/],
    ['duplicate tensor', gguf([{ name: 'a', dims: [8], type: 0, offset: 0n }, { name: 'a', dims: [8], type: 0, offset: 32n }], 128), /tensor "a" is listed twice/],
    ['too many dims', gguf([{ name: 'a', dims: [1, 1, 1, 1, 1], type: 0, offset: 0n }], 128), /5 dimensions/],
    ['duplicate key', gguf([], 0, [...arch, ...arch]), /"general.architecture" appears twice/],
    ['bad alignment', gguf([], 0, [['general.alignment', { type: 'u32', value: 24 }]]), /general.alignment is 24, not a power of two/],
  ];
  for (const [name, content, error] of cases) {
    assert.match(await refusal(await file(`${name.replace(/ /g, '-')}.gguf`, content)), error, name);
  }
});

test('refuses absurd counts and lengths before allocating anything', async () => {
  const header = (version: number, tensors: bigint, kvs: bigint) => {
    const b = Buffer.alloc(24);
    b.write('GGUF', 0, 'latin1');
    b.writeUInt32LE(version, 4);
    b.writeBigUInt64LE(tensors, 8);
    b.writeBigUInt64LE(kvs, 16);
    return b;
  };
  assert.match(await refusal(await file('v1.gguf', header(1, 0n, 0n))), /version 1 is no longer loadable/);
  assert.match(await refusal(await file('v9.gguf', header(9, 0n, 0n))), /version 9 is not supported/);
  assert.match(await refusal(await file('be.gguf', header(0x03000000, 0n, 0n))), /big-endian/);
  assert.match(await refusal(await file('tensors.gguf', header(3, 1n << 40n, 0n))), /declares 1099511627776 tensors/);
  assert.match(await refusal(await file('kvs.gguf', header(3, 0n, 1n << 62n))), /declares 4611686018427387904 metadata entries/);

  // One key whose string claims 2^40 bytes.
  const longKey = Buffer.concat([header(3, 0n, 1n), Buffer.from([0, 0, 0, 0, 0, 1, 0, 0])]);
  assert.match(await refusal(await file('longkey.gguf', longKey)), /metadata key #0 claims 1099511627776 bytes/);
  // An array claiming 2^40 items.
  const arr = encodeGgufHeader([['x', { type: 'f32[]', value: new Float32Array(1) }]], []);
  arr.writeBigUInt64LE(1n << 40n, arr.length - 12);
  assert.match(await refusal(await file('arr.gguf', arr)), /metadata "x" claims 1099511627776 items/);
  // The header limit is honoured.
  const r = await checkGgufFile(model, { maxHeaderBytes: 4096 });
  assert.equal(r.ok, false);
  assert.match(!r.ok ? r.error : '', /^header is larger than 4096 bytes \(at .*\); not a model file this appliance will load$/);
});

test('reports unreadable paths instead of throwing', async () => {
  assert.match(await refusal(join(dir, 'missing.gguf')), /cannot open .*ENOENT/);
  assert.match(await refusal(dir), /not a regular file/);
});
