import type { Statement } from 'better-sqlite3';
import { perConnection, type HearthDatabase } from '../store/store.js';

export interface AgentOutput {
  id: number;
  agent: string;
  key: string;
  title: string;
  content: unknown;
  note: { share: string; path: string } | null;
  runId: number | null;
  createdAt: string;
}

interface OutputRow {
  id: number;
  agent: string;
  key: string;
  title: string;
  content: string;
  note_share: string | null;
  note_path: string | null;
  run_id: number | null;
  created_at: number;
}

/** Results that are not library documents (briefings, scheduled custom agents), one per agent and key: a rerun replaces nothing. */
export class AgentOutputs {
  private readonly statements = perConnection(() => this.store, () => this.prepare());

  constructor(private readonly store: HearthDatabase, private readonly now: () => number = Date.now) {}

  get(agent: string, key: string): AgentOutput | null {
    const row = this.s.byKey.get(agent, key) as OutputRow | undefined;
    return row ? toOutput(row) : null;
  }

  /** Stores the output unless one with this key exists; returns the one stored. */
  save(o: { agent: string; key: string; title: string; content: unknown; note: { share: string; path: string } | null; runId: number | null }): AgentOutput {
    this.s.insert.run({
      agent: o.agent,
      key: o.key,
      title: o.title,
      content: JSON.stringify(o.content),
      share: o.note?.share ?? null,
      path: o.note?.path ?? null,
      run: o.runId,
      now: this.now(),
    });
    return this.get(o.agent, o.key)!;
  }

  latest(agent?: string): AgentOutput | null {
    const row = this.s.latest.get({ agent: agent ?? null }) as OutputRow | undefined;
    return row ? toOutput(row) : null;
  }

  list(agent: string, limit = 20): AgentOutput[] {
    return (this.s.list.all(agent, limit) as OutputRow[]).map(toOutput);
  }

  private get s() {
    return this.statements();
  }

  private prepare() {
    const st = (sql: string): Statement => this.store.db.prepare(sql);
    return {
      insert: st(`INSERT INTO agent_outputs (agent, key, title, content, note_share, note_path, run_id, created_at)
                  VALUES (@agent, @key, @title, @content, @share, @path, @run, @now) ON CONFLICT (agent, key) DO NOTHING`),
      byKey: st('SELECT * FROM agent_outputs WHERE agent = ? AND key = ?'),
      latest: st('SELECT * FROM agent_outputs WHERE (@agent IS NULL OR agent = @agent) ORDER BY created_at DESC, id DESC LIMIT 1'),
      list: st('SELECT * FROM agent_outputs WHERE agent = ? ORDER BY created_at DESC, id DESC LIMIT ?'),
    };
  }
}

function toOutput(r: OutputRow): AgentOutput {
  return {
    id: r.id,
    agent: r.agent,
    key: r.key,
    title: r.title,
    content: JSON.parse(r.content) as unknown,
    note: r.note_share && r.note_path ? { share: r.note_share, path: r.note_path } : null,
    runId: r.run_id,
    createdAt: new Date(r.created_at).toISOString(),
  };
}
