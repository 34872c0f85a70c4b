import { basename } from 'node:path';
import type { Llama } from 'node-llama-cpp';
import type { Catalog, CatalogEntry } from './catalog.js';
import { computeFit, recommend, requirementsFromCatalog, type FitOptions, type FitVerdict, type ModelRequirements } from './fit.js';
import type { MachineMemorySource } from './machine-memory.js';
import { HEADER_TIMEOUT_MS, checkModelUrl, probeGgufUrl, readModelHeader, requirementsFromHeader, type UrlPolicy } from './model-header.js';

export interface FitCheckerOptions extends UrlPolicy {
  catalog: Catalog;
  memory: MachineMemorySource;
  /** Reused for GgufInsights when given, so GPU facts match the backend that will load the model. */
  llama?: Llama;
  /** Read catalog models' headers from the hub with range requests; off, the catalog's figures are used. */
  remoteHeaders?: boolean;
  /** The local file of a catalog model when it is on disk (downloaded, or generated for the demo). */
  localFile?: (entry: CatalogEntry) => string | null | undefined | Promise<string | null | undefined>;
  headerTimeoutMs?: number;
  fit?: FitOptions;
  /** Told when a header could not be read and the catalog's figures stood in. */
  onFallback?: (entry: CatalogEntry, reason: string) => void;
}

/**
 * Answers "will this model run here?" for catalog entries, local files and custom URLs, from the
 * GGUF header where it can be read and from the catalog's own numbers where it cannot.
 */
export class FitChecker {
  /** Remote headers do not change under a URL; reading them once per process is enough. */
  private readonly remote = new Map<string, Promise<ModelRequirements>>();

  constructor(private readonly options: FitCheckerOptions) {}

  get catalog(): Catalog {
    return this.options.catalog;
  }

  async catalogVerdicts(fit?: FitOptions): Promise<FitVerdict[]> {
    const memory = await this.options.memory();
    const out: FitVerdict[] = [];
    for (const entry of this.options.catalog.models) out.push(await this.verdictWith(entry, memory, fit));
    return out;
  }

  async verdictFor(entry: CatalogEntry, fit?: FitOptions): Promise<FitVerdict> {
    return this.verdictWith(entry, await this.options.memory(), fit);
  }

  async verdictForId(id: string, fit?: FitOptions): Promise<FitVerdict | null> {
    const entry = this.options.catalog.models.find((m) => m.id === id);
    return entry ? this.verdictFor(entry, fit) : null;
  }

  /** The largest catalog model that fits with the agents' full context, or null. */
  async recommendation(fit?: FitOptions): Promise<FitVerdict | null> {
    return recommend(await this.catalogVerdicts(fit));
  }

  /** A verdict for any GGUF file at an https address, from its header, before anything is downloaded. */
  async verdictForUrl(rawUrl: string, fit?: FitOptions): Promise<FitVerdict> {
    const url = checkModelUrl(rawUrl, this.options);
    const signal = AbortSignal.timeout(this.options.headerTimeoutMs ?? HEADER_TIMEOUT_MS);
    await probeGgufUrl(url, { allowLoopbackHttp: this.options.allowLoopbackHttp === true, signal });
    const header = await readModelHeader(url.href, { ...this.llamaOption(), signal });
    const file = decodeURIComponent(basename(url.pathname));
    const subject = { modelId: customModelId(file), name: header.name ?? file, source: 'custom' as const };
    return computeFit(subject, requirementsFromHeader(header), await this.options.memory(), { ...this.options.fit, ...fit });
  }

  /** A verdict for a GGUF file on disk, from its header; used before every load. */
  async verdictForFile(path: string, subject?: { modelId: string; name: string; source?: FitVerdict['source'] }, fit?: FitOptions): Promise<FitVerdict> {
    const header = await readModelHeader(path, this.llamaOption());
    const file = basename(path);
    return computeFit(
      { modelId: subject?.modelId ?? customModelId(file), name: subject?.name ?? header.name ?? file, source: subject?.source ?? 'custom' },
      requirementsFromHeader(header),
      await this.options.memory(),
      { ...this.options.fit, ...fit },
    );
  }

  private async verdictWith(entry: CatalogEntry, memory: Awaited<ReturnType<MachineMemorySource>>, fit?: FitOptions): Promise<FitVerdict> {
    const requirements = await this.requirementsFor(entry);
    return computeFit({ modelId: entry.id, name: entry.name, source: entry.source }, requirements, memory, { ...this.options.fit, ...fit });
  }

  /** Local header first (exact), then the hub's header when allowed, then the catalog's figures. */
  private async requirementsFor(entry: CatalogEntry): Promise<ModelRequirements> {
    const local = await this.options.localFile?.(entry);
    if (local) {
      try {
        return requirementsFromHeader(await readModelHeader(local, this.llamaOption()));
      } catch (err) {
        this.options.onFallback?.(entry, `local header unreadable: ${(err as Error).message}`);
      }
    }
    if (this.options.remoteHeaders && entry.source === 'huggingface') {
      const url = entry.files[0]!.url;
      let pending = this.remote.get(url);
      if (!pending) {
        const signal = AbortSignal.timeout(this.options.headerTimeoutMs ?? HEADER_TIMEOUT_MS);
        pending = readModelHeader(url, { ...this.llamaOption(), signal }).then(requirementsFromHeader);
        this.remote.set(url, pending);
        // A failed read is not remembered: the hub may be reachable next time.
        pending.catch(() => this.remote.delete(url));
      }
      try {
        return await pending;
      } catch (err) {
        this.options.onFallback?.(entry, `hub header unreadable: ${(err as Error).message}`);
      }
    }
    return requirementsFromCatalog(entry);
  }

  private llamaOption(): { llama?: Llama } {
    return this.options.llama ? { llama: this.options.llama } : {};
  }
}

/** A stable id for a model that is not in the catalog, from its file name. */
export function customModelId(fileName: string): string {
  const stem = fileName.replace(/\.gguf$/i, '').replace(/-0*1-of-\d+$/i, '');
  const slug = stem.toLowerCase().replace(/[^a-z0-9.]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 56);
  return `custom-${slug || 'model'}`;
}
