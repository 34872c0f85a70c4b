import { css, html, nothing, type TemplateResult } from 'lit';
import type { AgentKind, AgentTrigger, AgentView, JobCounts, RunOutcome } from '../data/agents.js';

// How agents, runs, schedules and library text read to a person.

const DAILY = /^(\d{1,2}) (\d{1,2}) \* \* \*$/;
const WEEKDAYS = /^(\d{1,2}) (\d{1,2}) \* \* (1-5|MON-FRI)$/i;

const pad = (n: number) => String(n).padStart(2, '0');

/** "07:00" for a daily cron ("0 7 * * *"), else null. */
export function dailyTime(cron: string): string | null {
  const m = DAILY.exec(cron.trim());
  if (!m) return null;
  const [minute, hour] = [Number(m[1]), Number(m[2])];
  return minute < 60 && hour < 24 ? `${pad(hour)}:${pad(minute)}` : null;
}

/** The cron for every day at `time` ("07:30" -> "30 7 * * *"), or null when the time is not HH:MM. */
export function dailyCron(time: string): string | null {
  const m = /^(\d{1,2}):(\d{2})$/.exec(time);
  if (!m) return null;
  const [hour, minute] = [Number(m[1]), Number(m[2])];
  return hour < 24 && minute < 60 ? `${minute} ${hour} * * *` : null;
}

/** "Every day at 07:00", "Weekdays at 08:15", or the cron itself for anything else. */
export function scheduleText(trigger: Extract<AgentTrigger, { type: 'schedule' }>): string {
  const zone = trigger.timezone ? ` (${trigger.timezone})` : '';
  const daily = dailyTime(trigger.cron);
  if (daily) return `Every day at ${daily}${zone}`;
  const weekdays = WEEKDAYS.exec(trigger.cron.trim());
  if (weekdays) return `Weekdays at ${pad(Number(weekdays[2]))}:${pad(Number(weekdays[1]))}${zone}`;
  return `On the schedule “${trigger.cron}”${zone}`;
}

export const listText = (names: string[]): string =>
  names.length <= 1 ? (names[0] ?? '') : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;

/** When the agent runs, in words. */
export function triggerText(a: Pick<AgentView, 'trigger' | 'shares'>): string {
  switch (a.trigger.type) {
    case 'folder':
      return a.shares.length ? `When files arrive in ${listText(a.shares)}` : 'When files arrive (no folder chosen yet)';
    case 'schedule':
      return scheduleText(a.trigger);
    case 'manual':
      return 'Only when you run it';
  }
}

export const KIND_TEXT: Record<AgentKind, string> = { librarian: 'Built-in', briefing: 'Built-in', custom: 'Custom' };

/** A time from the API (ISO text or epoch milliseconds) as a Date, or null. */
export function toDate(v: string | number | null | undefined): Date | null {
  if (v === null || v === undefined || v === '') return null;
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? null : d;
}

const sameDay = (a: Date, b: Date) => a.toDateString() === b.toDateString();
/** 07:00, 18:30: the 24-hour clock, as schedules are written. */
export const clock = (d: Date) => d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });

/** "today at 07:00", "tomorrow at 07:00", "yesterday at 18:02", "Tue, 2 Dec at 07:00". */
export function whenText(v: string | number | null | undefined, now = new Date()): string {
  const d = toDate(v);
  if (!d) return '';
  const day = 86_400_000;
  if (sameDay(d, now)) return `today at ${clock(d)}`;
  if (sameDay(d, new Date(now.getTime() + day))) return `tomorrow at ${clock(d)}`;
  if (sameDay(d, new Date(now.getTime() - day))) return `yesterday at ${clock(d)}`;
  const opts: Intl.DateTimeFormatOptions = { weekday: 'short', day: 'numeric', month: 'short' };
  if (d.getFullYear() !== now.getFullYear()) opts.year = 'numeric';
  return `${d.toLocaleDateString(undefined, opts)} at ${clock(d)}`;
}

/** "just now", "5 min ago", "3 h ago", else `whenText`. */
export function agoText(v: string | number | null | undefined, now = new Date()): string {
  const d = toDate(v);
  if (!d) return '';
  const s = (now.getTime() - d.getTime()) / 1000;
  if (s < 0) return whenText(d.getTime(), now);
  if (s < 45) return 'just now';
  if (s < 3600) return `${Math.max(1, Math.round(s / 60))} min ago`;
  if (s < 6 * 3600) return `${Math.round(s / 3600)} h ago`;
  return whenText(d.getTime(), now);
}

/** 850 ms, 2.4 s, 1 min 5 s. */
export function formatMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)} min ${s % 60} s`;
}

export const formatCount = (n: number): string => n.toLocaleString('en');

export const OUTCOME: Record<RunOutcome, { label: string; tone: string }> = {
  running: { label: 'Running', tone: 'accent' },
  done: { label: 'Done', tone: 'ok' },
  failed: { label: 'Failed', tone: 'bad' },
  interrupted: { label: 'Interrupted', tone: 'warn' },
};

/** The job counts worth showing ("2 waiting", "1 running", "1 gave up"), as small stats. */
export function countStats(c: JobCounts): TemplateResult {
  const items: [number, string, string][] = [
    [c.queued, 'waiting', ''],
    [c.running, 'running', 'busy'],
    [c.failed, 'failed, will retry', 'warn'],
    [c.dead, 'gave up', 'bad'],
  ];
  return html`<ul class="stats" aria-label="Jobs">
    ${items.map(([n, label, tone]) => html`<li class=${n > 0 ? tone : 'zero'}><strong>${formatCount(n)}</strong> ${label}</li>`)}
    <li class="zero"><strong>${formatCount(c.done)}</strong> done</li>
  </ul>`;
}

/** Search snippet text with the matched terms (between [[ and ]]) as <mark>: text nodes only, never markup from the server. */
export function markedSnippet(snippet: string): (string | TemplateResult)[] {
  return snippet.split(/\[\[(.*?)\]\]/s).map((part, i) => (i % 2 === 1 ? html`<mark>${part}</mark>` : part));
}

/** Tags as chips. */
export function chips(tags: string[], label = 'Tags'): TemplateResult | typeof nothing {
  if (tags.length === 0) return nothing;
  return html`<ul class="chips" aria-label=${label}>
    ${tags.map((t) => html`<li>${t}</li>`)}
  </ul>`;
}

export const agentViewStyles = css`
  .chips {
    list-style: none;
    margin: 0;
    padding: 0;
    display: flex;
    flex-wrap: wrap;
    gap: 0.35rem;
  }
  .chips li {
    font-size: 0.8rem;
    font-weight: 550;
    padding: 0.1rem 0.6rem;
    border-radius: 999px;
    background: var(--hearth-accent-soft);
    border: 1px solid #fed7aa;
    color: var(--hearth-accent-hover);
    overflow-wrap: anywhere;
  }
  .stats {
    list-style: none;
    margin: 0;
    padding: 0;
    display: flex;
    flex-wrap: wrap;
    gap: 0.35rem 1rem;
    font-size: 0.88rem;
    color: var(--hearth-muted);
  }
  .stats strong {
    color: var(--hearth-text);
    font-variant-numeric: tabular-nums;
  }
  .stats .busy strong {
    color: var(--hearth-accent);
  }
  .stats .warn strong {
    color: #93370d;
  }
  .stats .bad,
  .stats .bad strong {
    color: var(--hearth-error);
  }
  mark {
    background: #fde68a;
    color: inherit;
    border-radius: 3px;
    padding: 0 0.1em;
  }
`;
