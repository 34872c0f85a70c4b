import type { AgentsOverview, AgentView } from '../agents/agents.js';
import { callDaemon, CliError } from './control-client.js';

export interface AgentCommandContext {
  dataDir: string;
  print: (value: unknown, human: string) => void;
}

/** Library views as the daemon sends them (see agents/library). */
interface DocumentLine {
  id: number;
  title: string;
  share: string;
  path: string;
  docType: string;
  tags: string[];
  createdAt: string;
  openActionItems: number;
}
interface SearchHit {
  document: DocumentLine;
  snippet: string;
}
interface AskAnswer {
  answer: string;
  citations: { n: number; title: string; share: string; path: string }[];
}

const when = (iso: string | null): string => (iso ? new Date(iso).toLocaleString() : '-');

function trigger(a: AgentView): string {
  switch (a.trigger.type) {
    case 'folder':
      return `new files in ${a.shares.join(', ') || '(no share)'}`;
    case 'schedule':
      return `cron "${a.trigger.cron}"${a.trigger.timezone ? ` ${a.trigger.timezone}` : ''}, next ${when(a.nextRun)}`;
    case 'manual':
      return 'when run by hand';
  }
}

/** `hearth agent <verb>`: list, turn on and off, run now. */
export async function agentCommand(verb: string | undefined, id: string | undefined, c: AgentCommandContext): Promise<number> {
  switch (verb) {
    case 'ls':
    case undefined: {
      const o = await callDaemon<AgentsOverview>(c.dataDir, 'GET', '/agents');
      const lines = o.agents.map((a) => {
        const state = !a.enabled ? 'off' : a.paused ? 'paused' : 'on';
        const last = a.lastRun ? `last run ${a.lastRun.outcome} ${when(a.lastRun.startedAt)} (${a.lastRun.promptTokens}+${a.lastRun.generatedTokens} tokens)` : 'never run';
        const counts = `queued ${a.counts.queued}, running ${a.counts.running}, failed ${a.counts.failed}, gave up ${a.counts.dead}`;
        const problems = a.problems.map((p) => `\n${''.padEnd(22)}! ${p}`).join('');
        return `${a.id.padEnd(20)}  ${state.padEnd(6)} ${a.name}: ${trigger(a)}\n${''.padEnd(22)}${last}; ${counts}${problems}`;
      });
      const head = o.paused ? `Background work is paused: ${o.pausedReasons.join('; ')}` : `Background work runs (${o.concurrency} at a time).`;
      c.print(o, [head, '', ...lines].join('\n'));
      return 0;
    }
    case 'enable':
    case 'disable': {
      if (!id) throw new CliError(`Name the agent: hearth agent ${verb} <name> (see hearth agent ls).`);
      const a = await callDaemon<AgentView>(c.dataDir, 'PATCH', `/agents/${encodeURIComponent(id)}`, { enabled: verb === 'enable' });
      c.print(a, `${a.name} is ${a.enabled ? 'on' : 'off'}.${a.problems.length ? `\nBut: ${a.problems.join(' ')}` : ''}`);
      return 0;
    }
    case 'run': {
      if (!id) throw new CliError('Name the agent: hearth agent run <name> (see hearth agent ls).');
      const r = await callDaemon<{ job: { id: number } | null; queued: number }>(c.dataDir, 'POST', `/agents/${encodeURIComponent(id)}/run`, {});
      c.print(r, r.job ? `Queued as job ${r.job.id}; see hearth agent ls or the Activity page.` : `Looked through its shares: ${r.queued} new file${r.queued === 1 ? '' : 's'} queued.`);
      return 0;
    }
    default:
      throw new CliError(`Unknown agent command "${verb}". Use: hearth agent ls | enable <name> | disable <name> | run <name>`);
  }
}

/** `hearth library ls|search <query>`. */
export async function libraryCommand(verb: string | undefined, query: string | undefined, c: AgentCommandContext): Promise<number> {
  const line = (d: DocumentLine) => `${String(d.id).padStart(5)}  ${d.title}  [${d.docType || '-'}]  ${d.share}/${d.path}${d.openActionItems ? `  (${d.openActionItems} to-do)` : ''}`;
  switch (verb) {
    case 'ls':
    case undefined: {
      const r = await callDaemon<{ total: number; documents: DocumentLine[] }>(c.dataDir, 'GET', '/library');
      c.print(r, r.documents.length ? [`${r.total} document${r.total === 1 ? '' : 's'} in the library.`, ...r.documents.map(line)].join('\n') : 'The library is empty. Turn on the Librarian (hearth agent enable librarian) and drop files into its share.');
      return 0;
    }
    case 'search': {
      if (!query) throw new CliError('Give words to search for: hearth library search "tax return"');
      const r = await callDaemon<{ hits: SearchHit[] }>(c.dataDir, 'POST', '/library/search', { query });
      c.print(r, r.hits.length ? r.hits.map((h) => `${line(h.document)}\n       ${h.snippet.replace(/\[\[|\]\]/g, '*')}`).join('\n') : `Nothing in the library matches "${query}".`);
      return 0;
    }
    default:
      throw new CliError(`Unknown library command "${verb}". Use: hearth library ls | search <words>`);
  }
}

/** `hearth ask <question>`: answered from the library, with the documents it used. */
export async function askCommand(question: string | undefined, c: AgentCommandContext): Promise<number> {
  if (!question) throw new CliError('Ask a question: hearth ask "When is the tax return due?"');
  const r = await callDaemon<AskAnswer>(c.dataDir, 'POST', '/ask', { question });
  const sources = r.citations.map((s) => `  [${s.n}] ${s.title} (${s.share}/${s.path})`);
  c.print(r, [r.answer, ...(sources.length ? ['', 'Sources:', ...sources] : [])].join('\n'));
  return 0;
}
