import { posix } from 'node:path';
import type { Statement } from 'better-sqlite3';
import { perConnection, type HearthDatabase } from '../../store/store.js';
import { Problem } from '../../http/problem.js';
import { toFtsQuery } from './fts-query.js';
import { cosineWithBlob, encodeVector, norm } from './vectors.js';

/** What an agent files about one document (one content, wherever it lives). */
export interface NewDocument {
  agent: string;
  sha256: string;
  share: string;
  /** Relative to the share, forward slashes. */
  path: string;
  name: string;
  format: string;
  size: number;
  /** Milliseconds since the epoch. */
  mtime: number;
  /** False when the document was filed by its metadata only (no text could be read). */
  extracted: boolean;
  textChars: number;
  title: string;
  summary: string;
  docType: string;
  tags: string[];
  people: string[];
  organisations: string[];
  dates: { date: string; what: string }[];
  actionItems: { text: string; due: string | null }[];
  chunks: string[];
  note: { share: string; path: string } | null;
  runId: number | null;
}

export interface ActionItem {
  id: number;
  text: string;
  due: string | null;
  doneAt: string | null;
}

export interface DocumentSummary {
  id: number;
  agent: string;
  title: string;
  summary: string;
  docType: string;
  tags: string[];
  share: string;
  path: string;
  name: string;
  format: string;
  size: number;
  createdAt: string;
  missing: boolean;
  openActionItems: number;
}

export interface DocumentDetail extends DocumentSummary {
  people: string[];
  organisations: string[];
  dates: { date: string; what: string }[];
  actionItems: ActionItem[];
  note: { share: string; path: string } | null;
  extracted: boolean;
  textChars: number;
  sha256: string;
  mtime: string;
  updatedAt: string;
  missingSince: string | null;
  runId: number | null;
}

export interface SearchHit {
  document: DocumentSummary;
  /** Plain text; matched terms wrapped in [[ ]] for text hits. */
  snippet: string;
  /** Higher is better; bm25 (negated) for text hits, cosine similarity for semantic ones. */
  score: number;
  via: 'text' | 'semantic';
}

/** A piece of a document's text that may answer a question. */
export interface Passage {
  documentId: number;
  /** Null when the passage is the document's summary (it matched by title, summary or tags). */
  chunkId: number | null;
  title: string;
  share: string;
  path: string;
  text: string;
  score: number;
  via: 'text' | 'semantic';
}

export type OpenActionItem = ActionItem & { document: { id: number; title: string } };

interface DocumentRow {
  id: number;
  agent: string;
  sha256: string;
  share: string;
  path: string;
  name: string;
  format: string;
  size: number;
  mtime: number;
  extracted: 0 | 1;
  text_chars: number;
  title: string;
  summary: string;
  doc_type: string;
  tags: string;
  people: string;
  organisations: string;
  dates: string;
  note_share: string | null;
  note_path: string | null;
  run_id: number | null;
  created_at: number;
  updated_at: number;
  missing_at: number | null;
  open_items: number;
}

interface ActionItemRow {
  id: number;
  document_id: number;
  text: string;
  due: string | null;
  done_at: number | null;
}

interface ChunkHitRow {
  chunk_id: number;
  document_id: number;
  text: string;
  title: string;
  share: string;
  path: string;
  score: number;
}

interface DocumentHitRow {
  id: number;
  title: string;
  share: string;
  path: string;
  summary: string;
  score: number;
  snip_summary: string;
  snip_title: string;
}

const SNIPPET_CHARS = 240;
/** A search may ask for this many documents at most (the API's limit is clamped to it). */
const MAX_LIMIT = 200;
/** Passages per document for ask: one long document should not crowd out the others. */
const PASSAGES_PER_DOCUMENT = 3;

// Title weighs most, then tags; name and summary count double a chunk's words.
const DOCUMENT_BM25 = 'bm25(documents_fts, 2.0, 4.0, 2.0, 3.0)';
const SELECT_DOCUMENT = `SELECT d.*, (SELECT count(*) FROM action_items a WHERE a.document_id = d.id AND a.done_at IS NULL) AS open_items FROM documents d`;

/**
 * The library in hearth.db: documents filed by agents, their text in chunks with a full-text
 * index (kept in step by triggers), optional embeddings, and the action items found in them.
 */
export class Library {
  private readonly now: () => number;
  private readonly statements = perConnection(() => this.store, () => this.prepare());

  constructor(private readonly store: HearthDatabase, options: { now?: () => number } = {}) {
    this.now = options.now ?? Date.now;
  }

  /**
   * Files a document: its row (one per agent and content), chunks and action items replaced in
   * one transaction. A to-do already ticked off and an embedding already computed survive a re-run
   * when their text is unchanged. Another document of the agent at the same place is marked
   * missing: that content is no longer there (the file was edited).
   */
  upsert(doc: NewDocument): DocumentDetail {
    return this.store.transaction(() => {
      const now = this.now();
      const s = this.s;
      const fields = {
        agent: doc.agent,
        sha256: doc.sha256,
        share: doc.share,
        path: doc.path,
        name: doc.name,
        format: doc.format,
        size: doc.size,
        mtime: Math.round(doc.mtime),
        extracted: doc.extracted ? 1 : 0,
        textChars: doc.textChars,
        title: doc.title.trim() || doc.name,
        summary: doc.summary,
        docType: doc.docType,
        tags: JSON.stringify(doc.tags),
        people: JSON.stringify(doc.people),
        organisations: JSON.stringify(doc.organisations),
        dates: JSON.stringify(doc.dates),
        noteShare: doc.note?.share ?? null,
        notePath: doc.note?.path ?? null,
        runId: doc.runId,
        now,
      };
      const existing = s.byAgentSha.get(doc.agent, doc.sha256) as DocumentRow | undefined;
      let id: number;
      const doneAt = new Map<string, number>();
      const embeddings = new Map<string, { embedding: Buffer; model: string }>();
      if (existing) {
        id = existing.id;
        s.updateDocument.run({ ...fields, id });
        for (const r of s.doneItemsOf.all(id) as { text: string; done_at: number }[]) doneAt.set(r.text, r.done_at);
        for (const r of s.embeddedChunksOf.all(id) as { text: string; embedding: Buffer; embedding_model: string }[]) {
          embeddings.set(r.text, { embedding: r.embedding, model: r.embedding_model });
        }
        s.deleteChunks.run(id);
        s.deleteItems.run(id);
      } else {
        id = Number(s.insertDocument.run(fields).lastInsertRowid);
      }
      let seq = 0;
      for (const text of doc.chunks) {
        if (!text.trim()) continue;
        const kept = embeddings.get(text);
        s.insertChunk.run(id, seq++, text, kept?.embedding ?? null, kept?.model ?? null);
      }
      for (const item of doc.actionItems) {
        const text = item.text.trim();
        if (text) s.insertItem.run(id, text, item.due, doneAt.get(text) ?? null);
      }
      s.supersede.run({ id, agent: doc.agent, share: doc.share, path: doc.path, now });
      return this.detail(s.byId.get(id) as DocumentRow);
    });
  }

  has(agent: string, sha256: string): DocumentSummary | null {
    const row = this.s.byAgentSha.get(agent, sha256) as DocumentRow | undefined;
    return row ? toSummary(row) : null;
  }

  /** The same content turned up at another place (a rename or move): the entry follows it, no model call needed. */
  relocate(agent: string, sha256: string, share: string, path: string): boolean {
    const info = this.s.relocate.run({ agent, sha: sha256, share, path, name: posix.basename(path), now: this.now() });
    return info.changes > 0;
  }

  /** The file at this place is gone; its entries stay (with their notes and to-dos), flagged missing. */
  markMissing(share: string, path: string): number {
    return this.s.markMissing.run({ share, path, now: this.now() }).changes;
  }

  get(id: number): DocumentDetail | null {
    const row = this.s.byId.get(id) as DocumentRow | undefined;
    return row ? this.detail(row) : null;
  }

  /** Newest first. */
  list(opts: { limit?: number; offset?: number; agent?: string } = {}): { total: number; documents: DocumentSummary[] } {
    const agent = opts.agent ?? null;
    const limit = clampInt(opts.limit, 50, 1, MAX_LIMIT);
    const offset = clampInt(opts.offset, 0, 0, Number.MAX_SAFE_INTEGER);
    const total = (this.s.count.get({ agent }) as { n: number }).n;
    const rows = this.s.list.all({ agent, limit, offset }) as DocumentRow[];
    return { total, documents: rows.map(toSummary) };
  }

  /**
   * Full-text search: every word must occur (the last may be the start of a word), in the
   * document's title, summary, tags or name, or in its text. Ranked by bm25, best per document.
   * Any text is safe to pass: a query with no words finds nothing.
   */
  search(query: string, opts: { limit?: number } = {}): SearchHit[] {
    const limit = clampInt(opts.limit, 20, 1, MAX_LIMIT);
    const match = toFtsQuery(query, { mode: 'and', prefixLast: true });
    if (!match) return [];
    const best = new Map<number, { score: number; snippet: string }>();
    for (const r of this.s.matchDocuments.all(match, limit) as DocumentHitRow[]) {
      best.set(r.id, { score: r.score, snippet: documentSnippet(r) });
    }
    // A chunk's snippet shows the words in context, so it replaces a title or summary snippet.
    for (const r of this.s.matchChunks.all({ match, perDocument: 1, limit }) as ChunkHitRow[]) {
      const seen = best.get(r.document_id);
      const snippet = (this.s.chunkSnippet.get(match, r.chunk_id) as { snip: string } | undefined)?.snip ?? clip(r.text, SNIPPET_CHARS);
      best.set(r.document_id, { score: seen ? Math.min(seen.score, r.score) : r.score, snippet });
    }
    return [...best.entries()]
      .sort((a, b) => a[1].score - b[1].score || b[0] - a[0])
      .slice(0, limit)
      .flatMap(([id, hit]) => {
        const row = this.s.byId.get(id) as DocumentRow | undefined;
        return row ? [{ document: toSummary(row), snippet: hit.snippet, score: -hit.score, via: 'text' as const }] : [];
      });
  }

  /** Chunks that still need an embedding from this model (none yet, or another model's). */
  chunksWithoutEmbedding(model: string, limit: number): { id: number; text: string }[] {
    return this.s.withoutEmbedding.all(model, clampInt(limit, 32, 1, 10_000)) as { id: number; text: string }[];
  }

  setEmbedding(chunkId: number, vector: Float32Array | number[], model: string): void {
    if (vector.length === 0) throw new RangeError('an embedding needs at least one dimension');
    this.s.setEmbedding.run(encodeVector(vector), model, chunkId);
  }

  /** Whether any chunk has an embedding from this model (else semantic search has nothing to compare). */
  hasEmbeddings(model: string): boolean {
    return this.s.anyEmbedding.get(model) !== undefined;
  }

  /** Documents nearest to the vector by cosine similarity of their best chunk; only this model's embeddings count. */
  semanticSearch(vector: number[], model: string, opts: { limit?: number } = {}): SearchHit[] {
    const limit = clampInt(opts.limit, 20, 1, MAX_LIMIT);
    return this.nearestChunks(vector, model, limit, true).flatMap((hit) => {
      const chunk = this.s.chunkById.get(hit.chunkId) as { text: string; document_id: number } | undefined;
      const row = chunk && (this.s.byId.get(chunk.document_id) as DocumentRow | undefined);
      return row ? [{ document: toSummary(row), snippet: clip(chunk.text, SNIPPET_CHARS), score: hit.score, via: 'semantic' as const }] : [];
    });
  }

  /**
   * The text most likely to answer a question, for ask: any of its words (common ones dropped),
   * ranked by bm25, a chunk's rank helped when its document's title or tags match too.
   */
  passages(query: string, limit: number): Passage[] {
    const max = clampInt(limit, 8, 1, 100);
    const match = toFtsQuery(query, { mode: 'or', dropStopwords: true });
    if (!match) return [];
    const documentHits = new Map<number, DocumentHitRow>();
    for (const r of this.s.matchDocuments.all(match, max * 2) as DocumentHitRow[]) documentHits.set(r.id, r);
    const candidates: Passage[] = [];
    const withChunks = new Set<number>();
    for (const r of this.s.matchChunks.all({ match, perDocument: PASSAGES_PER_DOCUMENT, limit: max * 2 }) as ChunkHitRow[]) {
      withChunks.add(r.document_id);
      const boost = documentHits.get(r.document_id)?.score ?? 0;
      candidates.push({ documentId: r.document_id, chunkId: r.chunk_id, title: r.title, share: r.share, path: r.path, text: r.text, score: r.score + boost, via: 'text' });
    }
    for (const r of documentHits.values()) {
      if (withChunks.has(r.id)) continue;
      const first = this.s.firstChunk.get(r.id) as { text: string } | undefined;
      const text = r.summary.trim() || first?.text || r.title;
      candidates.push({ documentId: r.id, chunkId: null, title: r.title, share: r.share, path: r.path, text, score: r.score, via: 'text' });
    }
    candidates.sort((a, b) => a.score - b.score);
    const perDocument = new Map<number, number>();
    const out: Passage[] = [];
    for (const p of candidates) {
      const n = perDocument.get(p.documentId) ?? 0;
      if (n >= PASSAGES_PER_DOCUMENT) continue;
      perDocument.set(p.documentId, n + 1);
      out.push({ ...p, score: -p.score });
      if (out.length >= max) break;
    }
    return out;
  }

  /** The chunks nearest to the vector (several may come from one document), for ask. */
  semanticPassages(vector: number[], model: string, limit: number): Passage[] {
    return this.nearestChunks(vector, model, clampInt(limit, 8, 1, 100), false).flatMap((hit) => {
      const r = this.s.chunkWithDocument.get(hit.chunkId) as Omit<ChunkHitRow, 'score'> | undefined;
      return r ? [{ documentId: r.document_id, chunkId: r.chunk_id, title: r.title, share: r.share, path: r.path, text: r.text, score: hit.score, via: 'semantic' as const }] : [];
    });
  }

  /** Open to-dos, those due first (earliest first), then undated ones oldest first. */
  openActionItems(limit = 100): OpenActionItem[] {
    const rows = this.s.openItems.all(clampInt(limit, 100, 1, 1000)) as (ActionItemRow & { title: string })[];
    return rows.map((r) => ({ ...toActionItem(r), document: { id: r.document_id, title: r.title } }));
  }

  setActionItemDone(id: number, done: boolean): ActionItem {
    return this.store.transaction(() => {
      const info = this.s.setDone.run({ id, done: done ? 1 : 0, now: this.now() });
      if (info.changes === 0) throw new Problem(404, 'Not found', `Action item ${id} does not exist.`);
      return toActionItem(this.s.itemById.get(id) as ActionItemRow);
    });
  }

  /** Documents filed at or after this time (ms), newest first: what arrived, for the briefing. */
  createdSince(ms: number, limit = 500): DocumentSummary[] {
    return (this.s.createdSince.all(ms, clampInt(limit, 500, 1, 5000)) as DocumentRow[]).map(toSummary);
  }

  remove(id: number): boolean {
    return this.store.transaction(() => {
      // Explicit, not only the foreign-key cascade: the chunk triggers must see each row go.
      this.s.deleteChunks.run(id);
      this.s.deleteItems.run(id);
      return this.s.deleteDocument.run(id).changes > 0;
    });
  }

  /**
   * A plain scan of this model's embeddings, one row at a time (no array of all vectors), keeping
   * the best `limit` chunks, or the best chunk of the best `limit` documents. Fine to ~100k chunks.
   */
  private nearestChunks(vector: number[], model: string, limit: number, perDocument: boolean): { chunkId: number; score: number }[] {
    const queryNorm = norm(vector);
    if (vector.length === 0 || queryNorm === 0 || !Number.isFinite(queryNorm)) return [];
    const best = new Map<number, { chunkId: number; score: number }>(); // by document
    const top: { chunkId: number; score: number }[] = [];
    for (const r of this.s.embeddingsOf.iterate(model) as Iterable<{ id: number; document_id: number; embedding: Buffer }>) {
      const score = cosineWithBlob(vector, queryNorm, r.embedding);
      if (score === null) continue;
      if (perDocument) {
        const seen = best.get(r.document_id);
        if (!seen || score > seen.score) best.set(r.document_id, { chunkId: r.id, score });
      } else if (top.length < limit || score > top[top.length - 1]!.score) {
        let i = top.length;
        while (i > 0 && top[i - 1]!.score < score) i--;
        top.splice(i, 0, { chunkId: r.id, score });
        if (top.length > limit) top.pop();
      }
    }
    if (!perDocument) return top;
    return [...best.values()].sort((a, b) => b.score - a.score).slice(0, limit);
  }

  private detail(row: DocumentRow): DocumentDetail {
    const items = (this.s.itemsOf.all(row.id) as ActionItemRow[]).map(toActionItem);
    return {
      ...toSummary(row),
      people: parseList(row.people),
      organisations: parseList(row.organisations),
      dates: parseDates(row.dates),
      actionItems: items,
      note: row.note_share !== null && row.note_path !== null ? { share: row.note_share, path: row.note_path } : null,
      extracted: row.extracted === 1,
      textChars: row.text_chars,
      sha256: row.sha256,
      mtime: iso(row.mtime),
      updatedAt: iso(row.updated_at),
      missingSince: row.missing_at === null ? null : iso(row.missing_at),
      runId: row.run_id,
    };
  }

  private get s() {
    return this.statements();
  }

  private prepare() {
    const db = this.store.db;
    const st = (sql: string): Statement => db.prepare(sql);
    return {
      byId: st(`${SELECT_DOCUMENT} WHERE d.id = ?`),
      byAgentSha: st(`${SELECT_DOCUMENT} WHERE d.agent = ? AND d.sha256 = ?`),
      insertDocument: st(`INSERT INTO documents (agent, sha256, share, path, name, format, size, mtime, extracted, text_chars, title, summary,
                            doc_type, tags, people, organisations, dates, note_share, note_path, run_id, created_at, updated_at, missing_at)
                          VALUES (@agent, @sha256, @share, @path, @name, @format, @size, @mtime, @extracted, @textChars, @title, @summary,
                            @docType, @tags, @people, @organisations, @dates, @noteShare, @notePath, @runId, @now, @now, NULL)`),
      updateDocument: st(`UPDATE documents SET share = @share, path = @path, name = @name, format = @format, size = @size, mtime = @mtime,
                            extracted = @extracted, text_chars = @textChars, title = @title, summary = @summary, doc_type = @docType,
                            tags = @tags, people = @people, organisations = @organisations, dates = @dates, note_share = @noteShare,
                            note_path = @notePath, run_id = @runId, updated_at = @now, missing_at = NULL
                          WHERE id = @id`),
      supersede: st(`UPDATE documents SET missing_at = @now, updated_at = @now
                     WHERE agent = @agent AND share = @share AND path = @path AND id != @id AND missing_at IS NULL`),
      doneItemsOf: st('SELECT text, done_at FROM action_items WHERE document_id = ? AND done_at IS NOT NULL'),
      embeddedChunksOf: st('SELECT text, embedding, embedding_model FROM chunks WHERE document_id = ? AND embedding IS NOT NULL'),
      deleteChunks: st('DELETE FROM chunks WHERE document_id = ?'),
      deleteItems: st('DELETE FROM action_items WHERE document_id = ?'),
      deleteDocument: st('DELETE FROM documents WHERE id = ?'),
      insertChunk: st('INSERT INTO chunks (document_id, seq, text, embedding, embedding_model) VALUES (?, ?, ?, ?, ?)'),
      insertItem: st('INSERT INTO action_items (document_id, text, due, done_at) VALUES (?, ?, ?, ?)'),
      itemsOf: st('SELECT * FROM action_items WHERE document_id = ? ORDER BY id'),
      itemById: st('SELECT * FROM action_items WHERE id = ?'),
      setDone: st(`UPDATE action_items SET done_at = CASE WHEN @done = 1 THEN coalesce(done_at, @now) ELSE NULL END WHERE id = @id`),
      openItems: st(`SELECT a.*, d.title FROM action_items a JOIN documents d ON d.id = a.document_id
                     WHERE a.done_at IS NULL ORDER BY a.due IS NULL, a.due, a.id LIMIT ?`),
      relocate: st(`UPDATE documents SET share = @share, path = @path, name = @name, missing_at = NULL, updated_at = @now
                    WHERE agent = @agent AND sha256 = @sha`),
      markMissing: st('UPDATE documents SET missing_at = @now, updated_at = @now WHERE share = @share AND path = @path AND missing_at IS NULL'),
      count: st('SELECT count(*) AS n FROM documents WHERE @agent IS NULL OR agent = @agent'),
      list: st(`${SELECT_DOCUMENT} WHERE @agent IS NULL OR d.agent = @agent ORDER BY d.created_at DESC, d.id DESC LIMIT @limit OFFSET @offset`),
      createdSince: st(`${SELECT_DOCUMENT} WHERE d.created_at >= ? ORDER BY d.created_at DESC, d.id DESC LIMIT ?`),
      matchDocuments: st(`SELECT d.id, d.title, d.share, d.path, d.summary, ${DOCUMENT_BM25} AS score,
                            snippet(documents_fts, 2, '[[', ']]', '…', 16) AS snip_summary,
                            snippet(documents_fts, 1, '[[', ']]', '…', 16) AS snip_title
                          FROM documents_fts JOIN documents d ON d.id = documents_fts.rowid
                          WHERE documents_fts MATCH ? ORDER BY score LIMIT ?`),
      // Ranked over every matching chunk, at most `perDocument` per document, so one long document cannot crowd out the rest.
      matchChunks: st(`SELECT * FROM (
                         SELECT *, row_number() OVER (PARTITION BY document_id ORDER BY score) AS nth FROM (
                           SELECT c.id AS chunk_id, c.document_id, c.text, d.title, d.share, d.path, bm25(chunks_fts) AS score
                           FROM chunks_fts JOIN chunks c ON c.id = chunks_fts.rowid JOIN documents d ON d.id = c.document_id
                           WHERE chunks_fts MATCH @match))
                       WHERE nth <= @perDocument ORDER BY score LIMIT @limit`),
      chunkSnippet: st(`SELECT snippet(chunks_fts, 0, '[[', ']]', '…', 16) AS snip FROM chunks_fts WHERE chunks_fts MATCH ? AND rowid = ?`),
      firstChunk: st('SELECT text FROM chunks WHERE document_id = ? ORDER BY seq LIMIT 1'),
      chunkById: st('SELECT text, document_id FROM chunks WHERE id = ?'),
      chunkWithDocument: st(`SELECT c.id AS chunk_id, c.document_id, c.text, d.title, d.share, d.path
                             FROM chunks c JOIN documents d ON d.id = c.document_id WHERE c.id = ?`),
      withoutEmbedding: st(`SELECT id, text FROM chunks WHERE embedding IS NULL OR embedding_model IS NOT ? ORDER BY id LIMIT ?`),
      setEmbedding: st('UPDATE chunks SET embedding = ?, embedding_model = ? WHERE id = ?'),
      anyEmbedding: st('SELECT 1 FROM chunks WHERE embedding_model = ? AND embedding IS NOT NULL LIMIT 1'),
      embeddingsOf: st('SELECT id, document_id, embedding FROM chunks WHERE embedding_model = ? AND embedding IS NOT NULL'),
    };
  }
}

/** Title or summary, whichever shows the matched words (the tags column is JSON, never shown). */
function documentSnippet(r: DocumentHitRow): string {
  if (r.snip_summary.includes('[[')) return r.snip_summary;
  if (r.snip_title.includes('[[')) return r.snip_title;
  return clip(r.summary || r.title, SNIPPET_CHARS);
}

function toSummary(r: DocumentRow): DocumentSummary {
  return {
    id: r.id,
    agent: r.agent,
    title: r.title,
    summary: r.summary,
    docType: r.doc_type,
    tags: parseList(r.tags),
    share: r.share,
    path: r.path,
    name: r.name,
    format: r.format,
    size: r.size,
    createdAt: iso(r.created_at),
    missing: r.missing_at !== null,
    openActionItems: r.open_items,
  };
}

function toActionItem(r: ActionItemRow): ActionItem {
  return { id: r.id, text: r.text, due: r.due, doneAt: r.done_at === null ? null : iso(r.done_at) };
}

function parseList(json: string): string[] {
  const v = JSON.parse(json) as unknown;
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

function parseDates(json: string): { date: string; what: string }[] {
  const v = JSON.parse(json) as unknown;
  if (!Array.isArray(v)) return [];
  return v.flatMap((d: { date?: unknown; what?: unknown }) =>
    d && typeof d.date === 'string' ? [{ date: d.date, what: typeof d.what === 'string' ? d.what : '' }] : [],
  );
}

const iso = (ms: number): string => new Date(ms).toISOString();

function clip(text: string, max: number): string {
  const t = text.replace(/\s+/g, ' ').trim();
  return t.length > max ? t.slice(0, max - 1).trimEnd() + '…' : t;
}

function clampInt(v: number | undefined, fallback: number, min: number, max: number): number {
  if (v === undefined || !Number.isFinite(v)) return fallback;
  return Math.min(max, Math.max(min, Math.trunc(v)));
}
