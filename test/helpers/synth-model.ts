import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  SYNTH_GENERATOR_VERSION,
  resolveShape,
  syntheticModelSize,
  writeSyntheticModel,
  type SynthShape,
  type SynthShapeName,
  type SynthType,
} from '../../appliance/src/models/gguf/synth.js';
import { checkGgufFile } from '../../appliance/src/models/gguf/header.js';

export interface CachedModelOptions {
  readonly shape?: SynthShapeName | SynthShape;
  readonly type?: SynthType;
  readonly seed?: number;
  /** Default: the OS temp folder, shared by every test process of this run and the next. */
  readonly dir?: string;
}

const pending = new Map<string, Promise<string>>();

/**
 * A synthetic model generated once and reused: the file name carries a hash of everything
 * that decides its bytes (shape, type, seed, generator version), so a stale file is never reused.
 * Test files run in parallel processes; each writes to its own .partial and renames, so racing is harmless.
 */
export function cachedSyntheticModel(options: CachedModelOptions = {}): Promise<string> {
  const shape = resolveShape(options.shape ?? 'tiny');
  const type = options.type ?? 'q8_0';
  const seed = options.seed ?? 1;
  const key = createHash('sha256')
    .update(JSON.stringify({ shape, type, seed, version: SYNTH_GENERATOR_VERSION }))
    .digest('hex')
    .slice(0, 16);
  const path = join(options.dir ?? tmpdir(), `hearth-synth-${key}.gguf`);
  let p = pending.get(path);
  if (!p) {
    p = ensureModel(path, shape, type, seed);
    pending.set(path, p);
    p.catch(() => pending.delete(path));
  }
  return p;
}

async function ensureModel(path: string, shape: SynthShape, type: SynthType, seed: number): Promise<string> {
  const check = await checkGgufFile(path);
  if (check.ok && check.info.fileBytes === syntheticModelSize(shape, type)) return path;
  await writeSyntheticModel({ out: path, shape, type, seed });
  return path;
}

/** The tiny synthetic model (Q8_0 unless asked otherwise): loads and generates in milliseconds. */
export function tinyModelPath(type: SynthType = 'q8_0'): Promise<string> {
  return cachedSyntheticModel({ shape: 'tiny', type });
}

/**
 * The tiny model with a 4096-token context: as fast, but with room for an agent's instructions,
 * a document part and a structured answer (its 768-piece vocabulary spends about a token per 1.5 characters).
 */
export function tinyAgentModelPath(): Promise<string> {
  return cachedSyntheticModel({ shape: 'demo' });
}
