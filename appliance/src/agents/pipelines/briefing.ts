import { z } from 'zod';
import type { AgentOutputs } from '../agent-outputs.js';
import type { RunLog } from '../run-log.js';
import type { RunContext } from '../runner.js';
import { writeNote } from './note-writer.js';
import type { PipelineDeps } from './librarian.js';
import { asData, DATA_RULE } from './prompt.js';
import { boundedString, cleanText, generateStructured, outputScale } from './structured.js';

export interface BriefingContent {
  headline: string;
  arrived: string[];
  done: string[];
  actionItems: string[];
  deadlines: string[];
  health: string;
  /** The window the briefing covers. */
  from: string;
  to: string;
}

export interface BriefingDeps extends PipelineDeps {
  runs: RunLog;
  outputs: AgentOutputs;
  /** One line on the box's health: model, disk, shares, failed work. */
  health(): string;
  /** Agent names by id, for "Librarian filed 3 documents". */
  agentName(id: string): string;
  now?: () => number;
}

const DAY = 24 * 3600_000;
const AHEAD = 14 * DAY;
const LIST = 12;

const headlineShape = z.object({ headline: z.string() });

/**
 * The morning briefing: the last 24 h (what arrived, what the agents did), open action items and
 * deadlines in the next two weeks, and the box's health, assembled from the library and the run log
 * (facts, never invented); the model writes only the one-line headline. A day with nothing to tell
 * costs no model call. One briefing per scheduled slot: a rerun finds it and stops.
 */
export function briefingPipeline(deps: BriefingDeps) {
  return async (ctx: RunContext): Promise<unknown> => {
    const agent = deps.agent(ctx.job.agent);
    if (!agent) throw new Error(`the agent "${ctx.job.agent}" no longer exists`);
    const key = ctx.job.idempotencyKey;
    const existing = deps.outputs.get(agent.id, key);
    if (existing) return { briefingId: existing.id, already: true };

    // The day up to now, not up to the slot: a briefing caught up at 10:00 tells what arrived until 10:00.
    const to = (deps.now ?? Date.now)();
    const from = to - DAY;
    const arrivedDocs = deps.library.createdSince(from).filter((d) => Date.parse(d.createdAt) < to);
    const arrived = arrivedDocs.slice(0, LIST).map((d) => `${d.title} (${d.share}/${d.path})`);
    if (arrivedDocs.length > LIST) arrived.push(`and ${arrivedDocs.length - LIST} more`);

    const byAgent = new Map<string, { done: number; failed: number }>();
    for (const r of deps.runs.finishedBetween(from, to)) {
      if (r.agent === agent.id) continue;
      const c = byAgent.get(r.agent) ?? { done: 0, failed: 0 };
      if (r.outcome === 'done') c.done++;
      else c.failed++;
      byAgent.set(r.agent, c);
    }
    const done = [...byAgent].map(([id, c]) => `${deps.agentName(id)}: ${c.done} run${c.done === 1 ? '' : 's'} done${c.failed ? `, ${c.failed} failed` : ''}`);

    const open = deps.library.openActionItems(50);
    const actionItems = open.slice(0, LIST).map((a) => `${a.text}${a.due ? ` (due ${a.due})` : ''} — ${a.document.title}`);
    const horizon = new Date(to + AHEAD).toISOString().slice(0, 10);
    const todayIso = new Date(to).toISOString().slice(0, 10);
    const deadlines = open
      .filter((a) => a.due && a.due >= todayIso && a.due <= horizon)
      .map((a) => ({ date: a.due!, text: `${a.due}: ${a.text} — ${a.document.title}` }))
      .sort((a, b) => a.date.localeCompare(b.date))
      .slice(0, LIST)
      .map((d) => d.text);

    const health = deps.health();
    let headline: string;
    if (arrived.length === 0 && actionItems.length === 0) {
      headline = 'A quiet day: nothing new arrived and no to-dos are open.';
    } else {
      const facts = [
        `Arrived in the last 24 hours: ${arrived.length ? arrived.join('; ') : 'nothing'}`,
        `Open to-dos: ${actionItems.length ? actionItems.join('; ') : 'none'}`,
        `Deadlines in the next two weeks: ${deadlines.length ? deadlines.join('; ') : 'none'}`,
      ].join('\n');
      const out = await generateStructured(ctx, {
        system: `You write the one-sentence headline of a morning briefing for the owner of a home file server. ${DATA_RULE}`,
        user: `The facts:\n${asData(facts)}\nGive the headline: one friendly sentence on what matters most today.`,
        schema: { type: 'object', properties: { headline: boundedString(Math.round(240 * outputScale(ctx.model.contextTokens()))) } },
        validate: headlineShape,
      });
      headline = cleanText(out.headline) || `${arrivedDocs.length} new document${arrivedDocs.length === 1 ? '' : 's'}, ${open.length} open to-do${open.length === 1 ? '' : 's'}.`;
    }

    const content: BriefingContent = { headline, arrived, done, actionItems, deadlines, health, from: new Date(from).toISOString(), to: new Date(to).toISOString() };
    const title = `Briefing ${new Date(to).toISOString().slice(0, 10)}`;
    let note: { share: string; path: string } | null = null;
    if (agent.note) {
      const guard = deps.grant(agent, agent.note.share, 'read-write');
      note = { share: agent.note.share, path: await writeNote(guard, agent.note.folder, title, briefingMarkdown(title, content), `${agent.id}:${key}`) };
    }
    const saved = deps.outputs.save({ agent: agent.id, key, title, content, note, runId: ctx.runId });
    return { briefingId: saved.id, arrived: arrivedDocs.length, openActionItems: open.length, modelCalls: ctx.usage.calls };
  };
}

export function briefingMarkdown(title: string, c: BriefingContent): string {
  const section = (name: string, items: string[], empty: string) => ['', `## ${name}`, ...(items.length ? items.map((i) => `- ${i}`) : [empty])];
  return [
    `# ${title}`,
    '',
    c.headline,
    ...section('Arrived', c.arrived, 'Nothing new.'),
    ...section('Done by the agents', c.done, 'Nothing ran.'),
    ...section('Open to-dos', c.actionItems, 'None.'),
    ...section('Deadlines (next two weeks)', c.deadlines, 'None.'),
    '',
    `Health: ${c.health}`,
  ].join('\n');
}
