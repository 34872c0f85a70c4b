import { randomBytes } from 'node:crypto';
import { AGENT_ID, agentTriggerSchema, type AgentConfig, type AgentTrigger, type Share } from '../config/schema.js';
import { badRequest } from '../http/problem.js';
import { checkSchedule } from './triggers/schedule-trigger.js';

/** The built-in agents every box has (off until the owner turns them on, in the wizard or the Agents page). */
export function builtInAgents(now: string, shares: readonly Share[]): AgentConfig[] {
  const has = (name: string) => shares.some((s) => s.name === name);
  return [
    {
      id: 'librarian',
      kind: 'librarian',
      name: 'Librarian',
      enabled: false,
      paused: false,
      trigger: { type: 'folder' },
      shares: has('Inbox') ? ['Inbox'] : [],
      note: has('Notes') ? { share: 'Notes', folder: '' } : null,
      library: true,
      instructions: '',
      createdAt: now,
    },
    {
      id: 'briefing',
      kind: 'briefing',
      name: 'Morning briefing',
      enabled: false,
      paused: false,
      trigger: { type: 'schedule', cron: '0 7 * * *', timezone: null, catchUp: true },
      shares: [],
      note: null,
      library: false,
      instructions: '',
      createdAt: now,
    },
  ];
}

/** One sentence on what an agent does, for the UI and `hearth agent ls`. */
export function describeAgent(a: AgentConfig): string {
  const where = a.shares.length ? a.shares.join(', ') : 'no share yet';
  const note = a.note ? ` and writes a note into ${a.note.share}${a.note.folder ? `/${a.note.folder}` : ''}` : '';
  switch (a.kind) {
    case 'librarian':
      return `Reads each document that lands in ${where} and files a title, summary, tags, dates and to-dos in the Library${note}.`;
    case 'briefing':
      return `Every morning sums up what arrived and what the agents did in the last 24 hours, open to-dos and deadlines, and the box's health${note}.`;
    case 'custom':
      return `${a.trigger.type === 'folder' ? `For each new file in ${where}` : a.trigger.type === 'schedule' ? `On its schedule, over files changed in ${where}` : `When you run it, over files changed in ${where}`}: "${a.instructions.slice(0, 80)}${a.instructions.length > 80 ? '…' : ''}"${note}.`;
  }
}

/** What stops an agent from working as set, in words the owner can act on; [] when it is fine. */
export function agentProblems(a: AgentConfig, shares: readonly Share[]): string[] {
  const problems: string[] = [];
  for (const name of a.shares) {
    const s = shares.find((x) => x.name === name);
    if (!s) problems.push(`There is no share "${name}" any more. Choose another share.`);
    else if (s.agents === 'none') problems.push(`The share "${name}" does not let agents read it. Allow it on the Shares page (Agents: read).`);
  }
  if (a.note) {
    const s = shares.find((x) => x.name === a.note!.share);
    if (!s) problems.push(`Notes go to the share "${a.note.share}", which does not exist. Choose another share for notes, or none.`);
    else if (s.agents !== 'read-write') problems.push(`Notes go to "${a.note.share}", which does not let agents write. Allow it on the Shares page (Agents: read and write).`);
  }
  if ((a.trigger.type === 'folder' || a.kind === 'custom') && a.shares.length === 0 && a.kind !== 'briefing') {
    problems.push(a.trigger.type === 'folder' ? 'Choose at least one share to watch.' : 'Choose at least one share to read.');
  }
  if (a.trigger.type === 'schedule') {
    const bad = checkSchedule(a.trigger.cron, a.trigger.timezone);
    if (bad) problems.push(bad);
  }
  return problems;
}

const str = (v: unknown, field: string, max: number, min = 0): string => {
  if (typeof v !== 'string') throw badRequest(`${field} must be text.`, { field });
  const t = v.trim();
  if (t.length < min) throw badRequest(min === 1 ? `Give the ${field}.` : `${field} needs at least ${min} characters.`, { field });
  if (t.length > max) throw badRequest(`${field} is too long (at most ${max} characters).`, { field });
  return t;
};

function shareList(v: unknown, shares: readonly Share[], field = 'shares'): string[] {
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw badRequest('shares must be a list of share names.', { field });
  const out: string[] = [];
  for (const name of v as string[]) {
    const s = shares.find((x) => x.name.toLowerCase() === name.toLowerCase());
    if (!s) throw badRequest(`There is no share "${name}". Make it on the Shares page first.`, { field });
    if (s.agents === 'none') throw badRequest(`The share "${s.name}" does not let agents read it. Allow it on the Shares page (Agents: read) first.`, { field });
    if (!out.includes(s.name)) out.push(s.name);
  }
  return out;
}

function noteTarget(v: unknown, shares: readonly Share[]): AgentConfig['note'] {
  if (v === null) return null;
  if (typeof v !== 'object' || v === null) throw badRequest('note must be {share, folder} or null.', { field: 'note' });
  const o = v as Record<string, unknown>;
  const name = str(o.share, 'note share', 64, 1);
  const s = shares.find((x) => x.name.toLowerCase() === name.toLowerCase());
  if (!s) throw badRequest(`There is no share "${name}" for notes.`, { field: 'note' });
  if (s.agents !== 'read-write') throw badRequest(`The share "${s.name}" does not let agents write. Allow it on the Shares page (Agents: read and write), or choose another.`, { field: 'note' });
  const folder = o.folder === undefined ? '' : str(o.folder, 'note folder', 200);
  if (folder.split('/').some((p) => p === '..' || p.startsWith('.'))) throw badRequest('The notes folder must be a plain folder inside the share (no "..", no hidden folders).', { field: 'note' });
  return { share: s.name, folder: folder.replace(/^\/+|\/+$/g, '') };
}

function trigger(v: unknown): AgentTrigger {
  const parsed = agentTriggerSchema.safeParse(v);
  if (!parsed.success) throw badRequest('trigger must be {type:"folder"}, {type:"schedule", cron, timezone} or {type:"manual"}.', { field: 'trigger' });
  const t = parsed.data;
  if (t.type === 'schedule') {
    const bad = checkSchedule(t.cron, t.timezone);
    if (bad) throw badRequest(bad, { field: 'trigger' });
  }
  return t;
}

/** A new custom agent from the owner's input; every field checked before anything is stored. */
export function newCustomAgent(input: Record<string, unknown>, shares: readonly Share[], taken: readonly string[]): AgentConfig {
  const name = str(input.name, 'name', 64, 1);
  const instructions = str(input.instructions, 'instructions', 4000, 1);
  const t = trigger(input.trigger ?? { type: 'manual' });
  const list = shareList(input.shares ?? [], shares);
  if (list.length === 0) throw badRequest('Choose at least one share the agent may read.', { field: 'shares' });
  const note = input.note === undefined ? null : noteTarget(input.note, shares);
  const library = input.library === undefined ? true : input.library === true;
  if (!library && !note && t.type === 'folder') throw badRequest('Choose where results go: the library, a note file, or both.', { field: 'library' });
  let id = name.toLowerCase().normalize('NFKD').replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 32) || 'agent';
  if (!AGENT_ID.test(id) || taken.includes(id)) id = `${id.slice(0, 30)}-${randomBytes(3).toString('hex')}`;
  return { id, kind: 'custom', name, enabled: true, paused: false, trigger: t, shares: list, note, library, instructions, createdAt: new Date().toISOString() };
}

/** The owner's change to an agent, checked whole; built-ins keep their kind and trigger type. */
export function patchAgent(a: AgentConfig, input: Record<string, unknown>, shares: readonly Share[]): AgentConfig {
  const next: AgentConfig = { ...a };
  if (input.enabled !== undefined) {
    if (typeof input.enabled !== 'boolean') throw badRequest('enabled must be true or false.', { field: 'enabled' });
    next.enabled = input.enabled;
  }
  if (input.paused !== undefined) {
    if (typeof input.paused !== 'boolean') throw badRequest('paused must be true or false.', { field: 'paused' });
    next.paused = input.paused;
  }
  if (input.name !== undefined) next.name = str(input.name, 'name', 64, 1);
  if (input.instructions !== undefined) {
    if (a.kind !== 'custom') throw badRequest('Only custom agents take instructions.', { field: 'instructions' });
    next.instructions = str(input.instructions, 'instructions', 4000, 1);
  }
  if (input.trigger !== undefined) {
    const t = trigger(input.trigger);
    if (a.kind !== 'custom' && t.type !== a.trigger.type) throw badRequest(`The ${a.name} always runs ${a.trigger.type === 'folder' ? 'on new files' : 'on a schedule'}; only its settings can change.`, { field: 'trigger' });
    next.trigger = t;
  }
  if (input.shares !== undefined) {
    if (a.kind === 'briefing') throw badRequest('The briefing reads the library, not shares.', { field: 'shares' });
    next.shares = shareList(input.shares, shares);
  }
  if (input.note !== undefined) next.note = noteTarget(input.note, shares);
  if (input.library !== undefined) {
    if (typeof input.library !== 'boolean') throw badRequest('library must be true or false.', { field: 'library' });
    next.library = input.library;
  }
  return next;
}
