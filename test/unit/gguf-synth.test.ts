import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, open, readFile, readdir, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  SYNTH_SHAPES,
  syntheticModelHeader,
  syntheticModelLayout,
  syntheticModelSize,
  writeSyntheticModel,
} from '../../appliance/src/models/gguf/synth.js';
import { syntheticVocabulary, SPACE } from '../../appliance/src/models/gguf/vocabulary.js';
import { f16ToF32, f32ToF16 } from '../../appliance/src/models/gguf/weights.js';
import { checkGgufFile } from '../../appliance/src/models/gguf/header.js';
import { TokenType } from '../../appliance/src/models/gguf/format.js';

/** TheBloke/TinyLlama-1.1B-Chat-v1.0-GGUF tinyllama-1.1b-chat-v1.0.Q8_0.gguf, for scale. */
const TINYLLAMA_Q8_0_BYTES = 1_169_807_168;

async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'hearth-gguf-unit-'));
}

test('the vocabulary has all 256 byte tokens, ChatML control tokens and unique pieces', () => {
  for (const size of [SYNTH_SHAPES.tiny.vocab, SYNTH_SHAPES['1b'].vocab]) {
    const v = syntheticVocabulary(size);
    assert.equal(v.tokens.length, size);
    assert.equal(v.scores.length, size);
    assert.equal(v.types.length, size);
    assert.equal(new Set(v.tokens).size, size, 'tokens are unique');
    for (let b = 0; b < 256; b++) {
      const piece = `<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`;
      const id = v.tokens.indexOf(piece);
      assert.ok(id >= 0, piece);
      assert.equal(v.types[id], TokenType.BYTE);
    }
    assert.equal(v.tokens[v.imStart], '<|im_start|>');
    assert.equal(v.types[v.imStart], TokenType.CONTROL);
    assert.equal(v.tokens[v.imEnd], '<|im_end|>');
    assert.equal(v.types[v.imEnd], TokenType.CONTROL);
    assert.deepEqual([v.tokens[v.unk], v.tokens[v.bos], v.tokens[v.eos]], ['<unk>', '<s>', '</s>']);
    assert.equal(v.tokens[v.quote], '"');
    assert.ok(v.tokens.includes(SPACE) && v.tokens.includes(`${SPACE}the`));
    assert.ok(!v.tokens.includes(' '), 'spaces are ▁ in SentencePiece');
  }
  assert.throws(() => syntheticVocabulary(100), /vocabulary size/);
});

test('half-precision conversion matches IEEE 754 binary16', () => {
  const cases: Array<[number, number]> = [
    [0, 0x0000], [1, 0x3c00], [-2, 0xc000], [65504, 0x7bff], [1e6, 0x7c00],
    [0.1, 0x2e66], [2 ** -24, 0x0001], [2 ** -14, 0x0400], [1 + 2 ** -11, 0x3c00], [1 + 3 * 2 ** -11, 0x3c02],
  ];
  for (const [x, bits] of cases) assert.equal(f32ToF16(x), bits, `f16(${x})`);
  for (const [x, bits] of cases.slice(0, 4)) assert.equal(f16ToF32(bits), x);
});

test('the 1b layout has TinyLlama\'s shape and size, and its header describes exactly that file', async () => {
  const layout = syntheticModelLayout('1b', 'q8_0');
  assert.equal(layout.parameters, 1_100_048_384);
  assert.equal(layout.tensors.length, 2 + 22 * 9 + 1);
  const byName = new Map(layout.tensors.map((t) => [t.name, t]));
  assert.deepEqual(byName.get('token_embd.weight')?.dims, [2048, 32000]);
  assert.deepEqual(byName.get('output.weight')?.dims, [2048, 32000]);
  assert.deepEqual(byName.get('blk.0.attn_k.weight')?.dims, [2048, 256]);
  assert.deepEqual(byName.get('blk.21.ffn_down.weight')?.dims, [5632, 2048]);
  assert.equal(byName.get('blk.0.attn_norm.weight')?.type, 0, 'norms stay F32 in Q8_0 files');
  // 2-D weights at 34 bytes per 32, norms at 4 bytes each, every tensor padded to 32 bytes.
  const weights = layout.tensors.filter((t) => t.dims.length === 2).reduce((a, t) => a + t.dims[0]! * t.dims[1]!, 0);
  const norms = layout.tensors.filter((t) => t.dims.length === 1).reduce((a, t) => a + t.dims[0]!, 0);
  assert.equal(layout.totalBytes, layout.dataOffset + (weights / 32) * 34 + norms * 4);
  assert.equal(syntheticModelSize('1b', 'q8_0'), layout.totalBytes);
  assert.ok(Math.abs(layout.totalBytes / TINYLLAMA_Q8_0_BYTES - 1) < 0.001, `${layout.totalBytes} ≈ TinyLlama Q8_0`);
  assert.ok(syntheticModelSize('1b', 'f16') > 2.2e9 && syntheticModelSize('1b', 'f32') > 4.4e9);

  // Header only, then extend the file sparsely to the planned size: the validator must accept it as complete.
  const dir = await tempDir();
  try {
    const path = join(dir, 'header-only.gguf');
    await writeFile(path, syntheticModelHeader('1b', 'q8_0'));
    const short = await checkGgufFile(path);
    assert.equal(short.ok, false);
    const tokenEmbdEnd = layout.dataOffset + layout.tensors[0]!.bytes;
    assert.equal(
      !short.ok && short.error,
      `truncated: tensor "token_embd.weight" ends at byte ${tokenEmbdEnd} but the file has ${layout.dataOffset} bytes ` +
        `(the complete file has at least ${layout.totalBytes} bytes, 1.17 GB are missing: the download probably stopped early)`,
    );
    assert.equal((await stat(path)).size, layout.dataOffset);
    await truncate(path, layout.totalBytes); // sparse: no 1.17 GB actually written
    const full = await checkGgufFile(path);
    assert.ok(full.ok, !full.ok ? full.error : '');
    assert.equal(full.info.dataEnd, layout.totalBytes);
    assert.equal(full.info.parameters, layout.parameters);
    assert.equal(full.info.embeddingLength, 2048);
    assert.equal(full.info.blockCount, 22);
    assert.equal(full.info.headCount, 32);
    assert.equal(full.info.headCountKv, 4);
    assert.equal(full.info.contextLength, 2048);
    assert.deepEqual(full.info.fileType, { id: 7, name: 'Q8_0' });
    assert.deepEqual(full.info.tensors.map((t) => t.fileOffset - full.info.dataOffset), layout.tensors.map((t) => t.offset));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('writing is deterministic per seed, atomic, and leaves no .partial behind', async () => {
  const dir = await tempDir();
  try {
    const a = join(dir, 'a.gguf');
    const b = join(dir, 'b.gguf');
    const c = join(dir, 'c.gguf');
    const progress: number[] = [];
    const result = await writeSyntheticModel({ out: a, shape: 'tiny', type: 'q8_0', seed: 7, onProgress: (n) => progress.push(n) });
    await writeSyntheticModel({ out: b, shape: 'tiny', type: 'q8_0', seed: 7 });
    await writeSyntheticModel({ out: c, shape: 'tiny', type: 'q8_0', seed: 8 });
    const hash = async (p: string) => createHash('sha256').update(await readFile(p)).digest('hex');
    assert.equal(await hash(a), await hash(b));
    assert.notEqual(await hash(a), await hash(c));
    assert.equal(result.bytes, syntheticModelSize('tiny', 'q8_0'));
    assert.equal(progress.at(-1), result.bytes);
    assert.deepEqual((await readdir(dir)).sort(), ['a.gguf', 'b.gguf', 'c.gguf']);

    await assert.rejects(
      writeSyntheticModel({ out: join(dir, 'bad.gguf'), shape: { ...SYNTH_SHAPES.tiny, embedding: 112 }, type: 'q8_0' }),
      /Q8_0 needs embedding and feed-forward sizes that are multiples of 32/,
    );
    await assert.rejects(writeSyntheticModel({ out: join(dir, 'bad.gguf'), shape: 'tiny', type: 'f32', seed: -1 }), /seed/);
    assert.deepEqual((await readdir(dir)).sort(), ['a.gguf', 'b.gguf', 'c.gguf'], 'a refused write leaves nothing');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('the bias channel is wired as designed: constant in every embedding, hidden from the layers', async () => {
  const dir = await tempDir();
  try {
    const path = join(dir, 'f32.gguf');
    await writeSyntheticModel({ out: path, shape: 'tiny', type: 'f32' });
    const check = await checkGgufFile(path);
    assert.ok(check.ok);
    const E = SYNTH_SHAPES.tiny.embedding;
    const tensor = (name: string) => check.info.tensors.find((t) => t.name === name)!;
    const fh = await open(path, 'r');
    try {
      const read = async (name: string, index: number) => {
        const buf = Buffer.alloc(4);
        await fh.read(buf, 0, 4, tensor(name).fileOffset + index * 4);
        return buf.readFloatLE(0);
      };
      for (const token of [0, 300, SYNTH_SHAPES.tiny.vocab - 1]) {
        assert.ok(Math.abs((await read('token_embd.weight', token * E + E - 1)) - Math.sqrt(E)) < 1e-4);
      }
      assert.equal(await read('blk.0.attn_norm.weight', E - 1), 0);
      assert.equal(await read('blk.1.ffn_norm.weight', E - 1), 0);
      assert.equal(await read('blk.0.attn_norm.weight', 0), 1);
      assert.equal(await read('output_norm.weight', E - 1), 1);
      assert.equal(await read('blk.1.attn_output.weight', (E - 1) * E + 5), 0);
      const vocab = syntheticVocabulary(SYNTH_SHAPES.tiny.vocab);
      const quote = await read('output.weight', vocab.quote * E + E - 1);
      const eos = await read('output.weight', vocab.eos * E + E - 1);
      assert.ok(quote > eos && eos > 0, `quote ${quote} > eos ${eos} > 0`);
      assert.equal(await read('output.weight', 500 * E + E - 1), 0);
    } finally {
      await fh.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

