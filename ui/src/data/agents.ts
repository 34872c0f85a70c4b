// Agents, the library, memory, activity and the briefing: typed calls for their parts of hearthd's API.
// Mirrors appliance/src/agents (routes.ts) as the agents contract describes it.

import { openEventStream, request, type StreamHandlers } from './api.js';
import { SharedEventStream, type Reopened } from './live-stream.js';

export type AgentKind = 'librarian' | 'briefing' | 'custom';

/** What starts an agent: new files in its shares, a cron schedule, or only "Run now". */
export type AgentTrigger =
  | { type: 'folder' }
  | { type: 'schedule'; cron: string; timezone: string | null; catchUp: boolean }
  | { type: 'manual' };

export type TriggerType = AgentTrigger['type'];

export interface JobCounts {
  queued: number;
  running: number;
  failed: number;
  dead: number;
  done: number;
}

export type RunOutcome = 'running' | 'done' | 'failed' | 'interrupted';

/** One run of an agent, as recorded (tokens and times from the model's answers). */
export interface RunView {
  id: number;
  agent: string;
  trigger: string;
  input: unknown;
  model: string | null;
  modelCalls: number;
  promptTokens: number;
  generatedTokens: number;
  ttftMs: number | null;
  durationMs: number | null;
  startedAt: string;
  finishedAt: string | null;
  outcome: RunOutcome;
  error: string | null;
  energyJ: number | null;
}

export interface NoteTarget {
  share: string;
  folder: string;
}

export interface AgentView {
  id: string;
  kind: AgentKind;
  name: string;
  /** One sentence on what it does. */
  description: string;
  enabled: boolean;
  paused: boolean;
  trigger: AgentTrigger;
  shares: string[];
  note: NoteTarget | null;
  library: boolean;
  instructions: string;
  /** ISO time of the next scheduled run, or null. */
  nextRun: string | null;
  lastRun: RunView | null;
  counts: JobCounts;
  /** What stops it working, in words a person can act on ("Share Inbox does not allow agents"). */
  problems: string[];
}

export interface AgentsView {
  paused: boolean;
  /** Why background work is paused (the owner, quiet hours, heat), in words. */
  pausedReasons: string[];
  concurrency: number;
  counts: JobCounts;
  agents: AgentView[];
}

export interface NewAgent {
  name: string;
  instructions: string;
  trigger: AgentTrigger;
  shares: string[];
  note: NoteTarget | null;
  library: boolean;
}

export type AgentPatch = Partial<NewAgent & { enabled: boolean; paused: boolean }>;

export type JobState = 'queued' | 'running' | 'done' | 'failed' | 'dead';

export interface JobView {
  id: number;
  agent: string;
  trigger: string;
  idempotencyKey: string;
  input: unknown;
  state: JobState;
  attempts: number;
  maxAttempts: number;
  nextAttemptAt: string;
  lastError: string | null;
  createdAt: string;
  updatedAt: string;
  startedAt: string | null;
  finishedAt: string | null;
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
  /** The file is no longer where it was filed. */
  missing: boolean;
  openActionItems: number;
}

export interface ActionItem {
  id: number;
  text: string;
  due: string | null;
  doneAt: string | null;
}

export interface DocumentDetail extends DocumentSummary {
  people: string[];
  organisations: string[];
  dates: { date: string; what: string }[];
  actionItems: ActionItem[];
  note: { share: string; path: string } | null;
  /** Text could be read from the file (false: filed by its name and type only). */
  extracted: boolean;
  textChars: number;
}

export interface SearchHit {
  document: DocumentSummary;
  /** Plain text; the matched terms are wrapped in [[ ]]. */
  snippet: string;
  score: number;
  via: 'text' | 'semantic';
}

export interface OpenActionItem extends ActionItem {
  document: { id: number; title: string };
}

export interface Citation {
  n: number;
  documentId: number;
  title: string;
  share: string;
  path: string;
  snippet: string;
}

export interface AskAnswer {
  answer: string;
  citations: Citation[];
  usage: { promptTokens: number; generatedTokens: number };
}

export interface MemoryFact {
  id: number;
  agent: string;
  fact: string;
  source: string | null;
  createdAt: string;
}

export interface ActivityEntry {
  id: number;
  at: string | number;
  kind: string;
  agent: string | null;
  message: string;
  data: unknown;
}

export interface Briefing {
  id: number;
  createdAt: string;
  title: string;
  content: { headline: string; arrived: string[]; done: string[]; actionItems: string[]; deadlines: string[]; health: string };
  note: { share: string; path: string } | null;
}

const segment = (s: string | number) => encodeURIComponent(String(s));
const query = (params: Record<string, string | number | undefined>) => {
  const parts = Object.entries(params)
    .filter((kv): kv is [string, string | number] => kv[1] !== undefined && kv[1] !== '')
    .map(([k, v]) => `${k}=${encodeURIComponent(String(v))}`);
  return parts.length ? `?${parts.join('&')}` : '';
};

export const agentsApi = {
  list: () => request<AgentsView>('GET', '/agents'),
  create: (agent: NewAgent) => request<AgentView>('POST', '/agents', agent),
  update: (id: string, patch: AgentPatch) => request<AgentView>('PATCH', `/agents/${segment(id)}`, patch),
  /** Custom agents only; what they made stays in the library. */
  remove: (id: string) => request<void>('DELETE', `/agents/${segment(id)}`),
  /** A folder agent looks through its folders again (`job` null, `queued` new files); others get one job. */
  run: (id: string) => request<{ job: { id: number; state: JobState } | null; queued: number }>('POST', `/agents/${segment(id)}/run`),
  /** Pause or resume all background work; answers the whole agents view. */
  setPaused: (paused: boolean) => request<AgentsView>('PUT', '/agents/paused', { paused }),

  runs: (opts: { agent?: string; limit?: number } = {}) => request<{ runs: RunView[] }>('GET', `/runs${query(opts)}`),
  jobs: (opts: { state?: JobState; agent?: string; limit?: number } = {}) => request<{ jobs: JobView[] }>('GET', `/jobs${query(opts)}`),
  retryJob: (id: number) => request<JobView>('POST', `/jobs/${segment(id)}/retry`),
};

export const libraryApi = {
  list: (opts: { limit?: number; offset?: number } = {}) => request<{ total: number; documents: DocumentSummary[] }>('GET', `/library${query(opts)}`),
  get: (id: number) => request<DocumentDetail>('GET', `/library/${segment(id)}`),
  search: (q: string, limit?: number) => request<{ hits: SearchHit[] }>('GET', `/library/search${query({ q, limit })}`),
  openActionItems: () => request<{ items: OpenActionItem[] }>('GET', '/action-items?open=1'),
  setDone: (id: number, done: boolean) => request<ActionItem>('PATCH', `/action-items/${segment(id)}`, { done }),
  ask: (question: string) => request<AskAnswer>('POST', '/ask', { question }),
  memory: () => request<{ facts: MemoryFact[] }>('GET', '/memory'),
  forget: (id: number) => request<void>('DELETE', `/memory/${segment(id)}`),
  activity: (opts: { limit?: number; before?: number } = {}) => request<{ entries: ActivityEntry[] }>('GET', `/activity${query(opts)}`),
  briefing: () => request<{ briefing: Briefing | null }>('GET', '/briefing'),
};

export interface ActivityHandlers extends StreamHandlers {
  activity: (entry: ActivityEntry) => void;
}

/** Open GET /api/activity/events: one `activity` event per new entry. Returns how to close it. */
export function openActivityEvents(on: ActivityHandlers): () => void {
  return openEventStream<{ activity: ActivityEntry }>('/api/activity/events', {
    open: on.open,
    error: on.error,
    events: { activity: on.activity },
  });
}

export type ActivityChange = { type: 'activity'; entry: ActivityEntry } | Reopened;

/** One EventSource on /api/activity/events for every view that listens (the Activity page, the Agents page, the dashboard). */
export const activityEvents = new SharedEventStream<{ type: 'activity'; entry: ActivityEntry }>((emit, on) =>
  openActivityEvents({ ...on, activity: (entry) => emit({ type: 'activity', entry }) }),
);
