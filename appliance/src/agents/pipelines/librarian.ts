import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { AgentConfig } from '../../config/schema.js';
import type { PathGuard } from '../../shares/path-guard.js';
import { PathRefusedError } from '../../shares/path-guard.js';
import { ExtractError, formatOf, type ExtractedText } from '../extract/extract.js';
import { sharedExtractor } from '../extract/extractor.js';
import { chunkText } from '../extract/chunk.js';
import type { Library } from '../library/library.js';
import type { AgentMemory } from '../memory/agent-memory.js';
import type { RunContext } from '../runner.js';
import { writeNote } from './note-writer.js';
import { asData, DATA_RULE, memoryBlock, today } from './prompt.js';
import { boundedList, boundedString, cleanList, cleanText, generateStructured, isoDay, outputScale, textRoom } from './structured.js';

/** What a folder trigger queues: one file's content at one place. */
export interface FileJobInput {
  share: string;
  path: string;
  sha256: string;
  size: number;
  renamedFrom?: string | null;
}

export interface PipelineDeps {
  library: Library;
  memory: AgentMemory;
  /** A guard for a share the agent was granted, or an error saying what the owner must change. */
  grant(agent: AgentConfig, share: string, access: 'read' | 'read-write'): PathGuard;
  /** The agent's settings as they are now. */
  agent(id: string): AgentConfig | null;
  /** Where these bytes are now in the share, if the file was renamed while its job ran; null when unknown. */
  whereNow(share: string, sha256: string, notPath: string): string | null;
}

/** Files above this are filed by name and size only: reading them would hold too much memory. */
export const MAX_READ_BYTES = 64 * 1024 * 1024;
/** Chunks summarised for one document; longer documents are filed from their first part (and say so). */
const MAX_MAP_CHUNKS = 12;
/** Library chunks (for search and "Ask your files") are independent of the model's context. */
const LIBRARY_CHUNK_CHARS = 1200;
const MAX_EMBEDDED_CHUNKS = 64;
const MEMORY_BUDGET_CHARS = 600;

export function librarianSchema(scale: number) {
  const n = (x: number) => Math.max(1, Math.round(x * scale));
  const day = boundedString(10, 'YYYY-MM-DD');
  return {
    type: 'object',
    properties: {
      title: boundedString(n(100), 'a short title for the document'),
      summary: boundedString(n(600), 'two or three sentences on what the document is and says'),
      documentType: boundedString(30, 'one or two words: letter, invoice, contract, notes, report, receipt, ...'),
      tags: boundedList(boundedString(24), n(6)),
      people: boundedList(boundedString(50), n(6)),
      organisations: boundedList(boundedString(60), n(6)),
      dates: boundedList({ type: 'object', properties: { date: day, what: boundedString(n(80)) } }, n(5)),
      actionItems: boundedList({ type: 'object', properties: { text: boundedString(n(120)), due: day } }, n(5)),
      remember: boundedList(boundedString(n(120)), n(2)),
    },
  } as const;
}

const filingShape = z.object({
  title: z.string(),
  summary: z.string(),
  documentType: z.string(),
  tags: z.array(z.string()),
  people: z.array(z.string()),
  organisations: z.array(z.string()),
  dates: z.array(z.object({ date: z.string(), what: z.string() })),
  actionItems: z.array(z.object({ text: z.string(), due: z.string() })),
  remember: z.array(z.string()),
});
type Filing = z.infer<typeof filingShape>;

const INSTRUCTIONS =
  'You are the Librarian of a private file server. You file one document: a title, a short summary, its type, a few ' +
  'lowercase tags, the people and organisations named, dates that matter (YYYY-MM-DD) with what happens then, the ' +
  'action items the owner must do (with a due date YYYY-MM-DD, or "" if none), and at most two durable facts worth ' +
  'remembering about the owner\'s projects or correspondents (or none). Write in the language of the document. ';

/**
 * The Librarian: reads a file through the path guard, extracts its text, files it in the library
 * (map-reduce over parts when it is long) and optionally writes a Markdown note. Idempotent: the
 * library entry is keyed by agent and content, so a rerun after a crash, or the same bytes under
 * another name, costs no model call.
 */
export function librarianPipeline(deps: PipelineDeps) {
  return async (ctx: RunContext): Promise<unknown> => {
    const input = ctx.job.input as FileJobInput;
    const agent = deps.agent(ctx.job.agent);
    if (!agent) throw new Error(`the agent "${ctx.job.agent}" no longer exists`);

    const known = deps.library.has(agent.id, input.sha256);
    if (known) {
      const moved = known.share !== input.share || known.path !== input.path;
      if (moved) deps.library.relocate(agent.id, input.sha256, input.share, input.path);
      return { documentId: known.id, already: true, moved };
    }

    const guard = deps.grant(agent, input.share, 'read');
    let doc = await readDocument(guard, input);
    if ('skipped' in doc) {
      // Renamed while this job ran: the same bytes are read at their new place, once.
      const moved = deps.whereNow(input.share, input.sha256, input.path);
      if (!moved) return doc;
      input.path = moved;
      doc = await readDocument(guard, input);
      if ('skipped' in doc) return doc;
    }
    const { name, format, text, size, mtime, extracted } = doc;

    let filing: Filing | null = null;
    let parts = 0;
    if (text) {
      const facts = deps.memory.forContext(agent.id, MEMORY_BUDGET_CHARS);
      const result = await fileText(ctx, { name, share: input.share, text, facts });
      filing = result.filing;
      parts = result.parts;
    }

    const fallbackTitle = name.replace(/\.[^.]+$/, '') || name;
    const title = cleanText(filing?.title ?? '') || fallbackTitle;
    const actionItems = (filing?.actionItems ?? [])
      .map((a) => ({ text: cleanText(a.text), due: isoDay(a.due) }))
      .filter((a) => a.text);
    const dates = (filing?.dates ?? []).flatMap((d) => {
      const date = isoDay(d.date);
      return date ? [{ date, what: cleanText(d.what) }] : [];
    });

    let note: { share: string; path: string } | null = null;
    if (agent.note && filing) {
      const noteGuard = deps.grant(agent, agent.note.share, 'read-write');
      const markdown = noteMarkdown({ title, summary: cleanText(filing.summary), filing, actionItems, dates, source: `${input.share}/${input.path}` });
      const path = await writeNote(noteGuard, agent.note.folder, title, markdown, `${agent.id}:${input.sha256}`);
      note = { share: agent.note.share, path };
    }

    const entry = deps.library.upsert({
      agent: agent.id,
      sha256: input.sha256,
      share: input.share,
      path: input.path,
      name,
      format,
      size,
      mtime,
      extracted: text.length > 0,
      textChars: text.length,
      title,
      summary: cleanText(filing?.summary ?? ''),
      docType: cleanText(filing?.documentType ?? '') || (text ? '' : format),
      tags: cleanList((filing?.tags ?? []).map((t) => t.toLowerCase()), 8),
      people: cleanList(filing?.people ?? [], 12),
      organisations: cleanList(filing?.organisations ?? [], 12),
      dates,
      actionItems,
      chunks: text ? chunkText(text, LIBRARY_CHUNK_CHARS) : [],
      note,
      runId: ctx.runId,
    });
    for (const fact of cleanList(filing?.remember ?? [], 2)) deps.memory.remember(agent.id, fact, title);

    await embedChunks(ctx, deps.library);
    return {
      documentId: entry.id,
      title,
      parts,
      extracted: text.length > 0,
      ...(extracted.truncated ? { truncated: true } : {}),
      ...(extracted.warning ? { warning: extracted.warning } : {}),
      ...(note ? { note } : {}),
    };
  };
}

export interface ReadDocument {
  name: string;
  format: ReturnType<typeof formatOf>;
  text: string;
  size: number;
  mtime: number;
  extracted: { truncated: boolean; warning?: string };
}

/**
 * A queued file read through the path guard and turned into text ('' when the type has none).
 * Skipped (not failed) when the file went away or changed after it was queued: its new content has its own job.
 * An empty sha256 skips that check (a scheduled run reading whatever is there now).
 */
export async function readDocument(guard: PathGuard, input: FileJobInput): Promise<ReadDocument | { skipped: string }> {
  let bytes: Buffer | null;
  let mtime: number;
  let size: number;
  try {
    const { handle, stats } = await guard.openFile(input.path);
    try {
      size = stats.size;
      mtime = Math.round(stats.mtimeMs);
      bytes = stats.size <= MAX_READ_BYTES ? await handle.readFile() : null;
    } finally {
      await handle.close();
    }
  } catch (err) {
    if (err instanceof PathRefusedError && err.reason === 'not-found') return { skipped: 'the file was removed before it was read' };
    throw err;
  }
  if (bytes && input.sha256 && createHash('sha256').update(bytes).digest('hex') !== input.sha256) {
    return { skipped: 'the file changed after it was queued; its new content has its own job' };
  }
  const name = input.path.split('/').pop() ?? input.path;
  const format = formatOf(name);
  let extracted: ExtractedText = { format, text: null, truncated: false, warning: 'too large to read' };
  if (bytes) {
    try {
      extracted = await sharedExtractor.extract(name, bytes);
    } catch (err) {
      // A damaged or hostile file: filed by its metadata with the reason shown; reading it again would fail again.
      if (!(err instanceof ExtractError)) throw err;
      extracted = { format, text: null, truncated: false, warning: err.message };
    }
  }
  return { name, format, text: extracted.text?.trim() ?? '', size, mtime, extracted };
}

/** One call when the text fits the context; else each part is filed on its own and the parts' filings merged. */
async function fileText(ctx: RunContext, doc: { name: string; share: string; text: string; facts: string[] }): Promise<{ filing: Filing; parts: number }> {
  const contextTokens = ctx.model.contextTokens();
  const schema = librarianSchema(outputScale(contextTokens));
  const system = `${INSTRUCTIONS}${DATA_RULE} Today is ${today()}.${memoryBlock(doc.facts)}`;
  const frame = (body: string) => `File "${doc.name}" in the share "${doc.share}".\n${body}`;
  // What is left for document text once the instructions, the frame and the longest answer are counted,
  // in this model's tokens; the text's own characters per token (prose, code, other scripts differ) size the parts.
  const room = await textRoom(ctx, `${system}\n${frame(asData('', { part: '99' }))}Part 99 of 99 of the document:\n`, schema, doc.text);
  if (room.tokens < 64) throw new Error(`the model's context (${contextTokens} tokens) is too small to read documents; choose a model with a larger context`);
  const { charsPerToken } = room;
  const textTokens = room.tokens;
  const chunkChars = Math.max(200, room.chars);
  const chunks = chunkText(doc.text, chunkChars);
  const ask = (user: string) => generateStructured(ctx, { system, user, schema, validate: filingShape });
  if (chunks.length === 1) return { filing: await ask(frame(asData(doc.text))), parts: 1 };

  const used = chunks.slice(0, MAX_MAP_CHUNKS);
  const partial: Filing[] = [];
  for (const [i, chunk] of used.entries()) {
    ctx.signal.throwIfAborted();
    partial.push(await ask(frame(`Part ${i + 1} of ${chunks.length} of the document:\n${asData(chunk, { part: String(i + 1) })}`)));
  }
  // Reduce: the parts' filings (data, not instructions) merged into one; in groups when they do not fit together.
  let level = partial;
  while (level.length > 1) {
    const groups: Filing[][] = [];
    let group: Filing[] = [];
    for (const f of level) {
      const next = [...group, f];
      // JSON packs fewer characters per token than prose: counted with a margin.
      if (group.length > 0 && (JSON.stringify(next).length / charsPerToken) * 1.3 > textTokens) {
        groups.push(group);
        group = [f];
      } else group = next;
    }
    groups.push(group);
    if (groups.length === level.length) groups.splice(0, groups.length, level); // nothing fits together: one last merge of all
    const merged: Filing[] = [];
    for (const g of groups) {
      if (g.length === 1) merged.push(g[0]!);
      else merged.push(await ask(frame(`Filings of ${g.length} consecutive parts of one document; merge them into one filing of the whole document:\n${asData(JSON.stringify(g))}`)));
    }
    level = merged;
  }
  return { filing: level[0]!, parts: used.length };
}

/** Embeds chunks that have no vector for this model yet (this document's, and any left from before), a bounded batch per run. */
async function embedChunks(ctx: RunContext, library: Library): Promise<void> {
  const modelId = ctx.model.modelId();
  if (!modelId) return;
  const pending = library.chunksWithoutEmbedding(modelId, MAX_EMBEDDED_CHUNKS);
  if (pending.length === 0) return;
  try {
    const vectors = await ctx.embed(pending.map((c) => c.text));
    if (!vectors) return;
    pending.forEach((c, i) => {
      const v = vectors[i];
      if (v && v.length > 0) library.setEmbedding(c.id, v, modelId);
    });
  } catch {
    // Semantic search is a bonus: full-text search works without it, so a failed embedding never fails the filing.
  }
}

function noteMarkdown(n: {
  title: string;
  summary: string;
  filing: Filing;
  actionItems: { text: string; due: string | null }[];
  dates: { date: string; what: string }[];
  source: string;
}): string {
  const lines = [`# ${n.title}`, '', n.summary, '', `Source: \`${n.source}\``];
  const tags = cleanList(n.filing.tags, 8);
  if (tags.length) lines.push(`Tags: ${tags.map((t) => `#${t.replace(/\s+/g, '-')}`).join(' ')}`);
  if (n.actionItems.length) lines.push('', '## To do', ...n.actionItems.map((a) => `- [ ] ${a.text}${a.due ? ` (due ${a.due})` : ''}`));
  if (n.dates.length) lines.push('', '## Dates', ...n.dates.map((d) => `- ${d.date}: ${d.what}`));
  const people = cleanList([...n.filing.people, ...n.filing.organisations], 12);
  if (people.length) lines.push('', '## Who', ...people.map((p) => `- ${p}`));
  return lines.join('\n');
}
