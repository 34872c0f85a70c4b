import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

/** A direct file link on the Hugging Face hub, pinned to the main branch, of a GGUF file. */
export const HF_FILE_URL = /^https:\/\/huggingface\.co\/[A-Za-z0-9][\w.-]*\/[A-Za-z0-9][\w.-]*\/resolve\/main\/(?:[\w.-]+\/)*[\w.-]+\.gguf$/;

const sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'a sha256 is 64 lower-case hex digits');
const bytes = z.number().int().positive();

/** What a KV-cache estimate needs when the GGUF header cannot be read. */
export const architectureSchema = z.object({
  /** Vocabulary size: sizes the logits buffer. */
  vocab: z.number().int().positive(),
  layers: z.number().int().positive(),
  /** Attention (query) heads: sizes the attention workspace. */
  heads: z.number().int().positive(),
  kvHeads: z.number().int().positive(),
  headDim: z.number().int().positive(),
  /** Tokens a sliding-window layer keeps; null when every layer attends to the whole context. */
  slidingWindow: z.number().int().positive().nullable(),
  /** With a sliding window: how many layers still attend to the whole context. */
  fullAttentionLayers: z.number().int().nonnegative().nullable(),
});

/**
 * The built-in catalog links to the hub (its test checks HF_FILE_URL); a local mirror's catalog
 * (HEARTH_CATALOG) may link to any https host, or to plain http on this machine.
 */
const fileUrl = z.string().refine((raw) => {
  try {
    const u = new URL(raw);
    const loopback = u.hostname === '127.0.0.1' || u.hostname === 'localhost' || u.hostname === '[::1]';
    return (u.protocol === 'https:' || (u.protocol === 'http:' && loopback)) && u.pathname.toLowerCase().endsWith('.gguf');
  } catch {
    return false;
  }
}, 'a file URL is an https address of a .gguf file');

export const modelFileSchema = z.object({
  url: fileUrl,
  sizeBytes: bytes,
  /** The publisher's hash where one was found; never guessed. */
  sha256: sha256.nullable(),
});

const common = {
  id: z.string().regex(/^[a-z0-9][a-z0-9.-]{0,63}$/, 'an id is a lower-case slug'),
  name: z.string().min(1).max(80),
  family: z.string().min(1),
  summary: z.string().min(1).max(200),
  /** Approximate total parameter count. */
  parameters: z.number().int().positive(),
  /** Mixture-of-experts models: parameters used per token. */
  activeParameters: z.number().int().positive().optional(),
  quantization: z.string().min(1),
  sizeBytes: bytes,
  /** false: a best figure that could not be checked against the hub. */
  sizeVerified: z.boolean(),
  licence: z.object({ name: z.string().min(1), url: z.string().url().nullable() }),
  /** The context length the model was trained for, in tokens. */
  contextLength: z.number().int().positive(),
  architecture: architectureSchema.nullable(),
};

export const hubModelSchema = z
  .object({ ...common, source: z.literal('huggingface'), files: z.array(modelFileSchema).min(1) })
  .superRefine((m, ctx) => {
    const sum = m.files.reduce((s, f) => s + f.sizeBytes, 0);
    if (sum !== m.sizeBytes) ctx.addIssue({ code: 'custom', message: `sizeBytes ${m.sizeBytes} is not the sum of its files (${sum})`, path: ['sizeBytes'] });
    if (m.files.length > 1) {
      // Split GGUFs are named <base>-0000i-of-0000n.gguf and listed in order.
      m.files.forEach((f, i) => {
        const part = /-(\d{5})-of-(\d{5})\.gguf$/.exec(f.url);
        if (!part || Number(part[1]) !== i + 1 || Number(part[2]) !== m.files.length)
          ctx.addIssue({ code: 'custom', message: `part ${i + 1} is not named -${String(i + 1).padStart(5, '0')}-of-${String(m.files.length).padStart(5, '0')}.gguf`, path: ['files', i, 'url'] });
      });
    }
  });

export const syntheticModelSchema = z.object({
  ...common,
  source: z.literal('synthetic'),
  /** Generated on the box by the synthetic GGUF writer; nothing is downloaded. */
  synthetic: z.object({ shape: z.enum(['tiny', 'demo', '1b']), type: z.enum(['f32', 'f16', 'q8_0']) }),
  files: z.array(modelFileSchema).max(0),
});

export const catalogEntrySchema = z.discriminatedUnion('source', [hubModelSchema, syntheticModelSchema]);

export const catalogSchema = z
  .object({ version: z.literal(1), notes: z.string().optional(), models: z.array(catalogEntrySchema).min(1) })
  .superRefine((c, ctx) => {
    const seen = new Set<string>();
    c.models.forEach((m, i) => {
      if (seen.has(m.id)) ctx.addIssue({ code: 'custom', message: `duplicate id ${m.id}`, path: ['models', i, 'id'] });
      seen.add(m.id);
    });
  });

export type ModelArchitecture = z.infer<typeof architectureSchema>;
export type ModelFile = z.infer<typeof modelFileSchema>;
export type HubCatalogEntry = z.infer<typeof hubModelSchema>;
export type SyntheticCatalogEntry = z.infer<typeof syntheticModelSchema>;
export type CatalogEntry = z.infer<typeof catalogEntrySchema>;
export type Catalog = z.infer<typeof catalogSchema>;

/**
 * Where catalog.json lives: beside this module, or (when tsc built it into dist/ without copying
 * data files) in the source tree next door.
 */
export function catalogPath(): string {
  const here = new URL('./catalog.json', import.meta.url);
  const fromDist = new URL('../../../src/models/catalog/catalog.json', import.meta.url);
  return fileURLToPath([here, fromDist].find((candidate) => existsSync(candidate)) ?? here);
}

/** Parses and validates a catalog; a broken catalog is a build error, so this throws with every issue listed. */
export function parseCatalog(json: unknown): Catalog {
  const result = catalogSchema.safeParse(json);
  if (!result.success) {
    const issues = result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new Error(`The model catalog is invalid: ${issues}`);
  }
  return result.data;
}

export function loadCatalog(path = catalogPath()): Catalog {
  return parseCatalog(JSON.parse(readFileSync(path, 'utf8')));
}

export function findEntry(catalog: Catalog, id: string): CatalogEntry | undefined {
  return catalog.models.find((m) => m.id === id);
}
