import type { Statement } from 'better-sqlite3';
import { perConnection, type HearthDatabase } from '../../store/store.js';

export interface MemoryFact {
  id: number;
  agent: string;
  fact: string;
  /** What the fact was learned from (a document title), if known. */
  source: string | null;
  createdAt: string;
  usedAt: string | null;
}

interface MemoryRow {
  id: number;
  agent: string;
  fact: string;
  source: string | null;
  created_at: number;
  used_at: number | null;
}

/** A fact longer than this is a paragraph, not a fact: cut, so memory stays cheap to put in prompts. */
export const MAX_FACT_CHARS = 500;
/** forContext looks at no more than this many recent facts. */
const CONTEXT_SCAN = 1000;

/** Whitespace collapsed, NFC, at most MAX_FACT_CHARS: the form facts are stored and compared in. */
export function normaliseFact(fact: string): string {
  const t = fact.normalize('NFC').replace(/\s+/g, ' ').trim();
  return t.length > MAX_FACT_CHARS ? t.slice(0, MAX_FACT_CHARS - 1).trimEnd() + '…' : t;
}

/** Durable facts an agent keeps between runs (names, projects); the owner can read and delete every one. */
export class AgentMemory {
  private readonly now: () => number;
  private readonly statements = perConnection(() => this.store, () => this.prepare());

  constructor(private readonly store: HearthDatabase, options: { now?: () => number } = {}) {
    this.now = options.now ?? Date.now;
  }

  /** False when the agent knew it already (then it counts as used now) or the fact is empty. */
  remember(agent: string, fact: string, source?: string): boolean {
    const text = normaliseFact(fact);
    if (!text) return false;
    return this.store.transaction(() => {
      const now = this.now();
      if (this.s.touch.run({ agent, fact: text, now }).changes > 0) return false;
      this.s.insert.run({ agent, fact: text, source: source ?? null, now });
      return true;
    });
  }

  /** Newest first. */
  list(agent?: string): MemoryFact[] {
    return (this.s.list.all({ agent: agent ?? null }) as MemoryRow[]).map(toFact);
  }

  forget(id: number): boolean {
    return this.s.delete.run(id).changes > 0;
  }

  /**
   * The facts most recently used or learned that fit in budgetChars together (a fact that does
   * not fit is passed over for smaller ones); they are marked used, so facts in use stay in.
   */
  forContext(agent: string, budgetChars: number): string[] {
    return this.store.transaction(() => {
      const rows = this.s.recent.all(agent, CONTEXT_SCAN) as MemoryRow[];
      const chosen: MemoryRow[] = [];
      let left = budgetChars;
      for (const r of rows) {
        if (r.fact.length > left) continue;
        chosen.push(r);
        left -= r.fact.length;
      }
      const now = this.now();
      for (const r of chosen) this.s.used.run(now, r.id);
      return chosen.map((r) => r.fact);
    });
  }

  private get s() {
    return this.statements();
  }

  private prepare() {
    const db = this.store.db;
    const st = (sql: string): Statement => db.prepare(sql);
    return {
      touch: st('UPDATE memory SET used_at = @now WHERE agent = @agent AND fact = @fact'),
      insert: st('INSERT INTO memory (agent, fact, source, created_at, used_at) VALUES (@agent, @fact, @source, @now, NULL)'),
      list: st('SELECT * FROM memory WHERE @agent IS NULL OR agent = @agent ORDER BY created_at DESC, id DESC'),
      delete: st('DELETE FROM memory WHERE id = ?'),
      recent: st('SELECT * FROM memory WHERE agent = ? ORDER BY max(created_at, coalesce(used_at, 0)) DESC, id DESC LIMIT ?'),
      used: st('UPDATE memory SET used_at = ? WHERE id = ?'),
    };
  }
}

function toFact(r: MemoryRow): MemoryFact {
  return {
    id: r.id,
    agent: r.agent,
    fact: r.fact,
    source: r.source,
    createdAt: new Date(r.created_at).toISOString(),
    usedAt: r.used_at === null ? null : new Date(r.used_at).toISOString(),
  };
}
