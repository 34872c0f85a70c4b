import { randomUUID } from 'node:crypto';
import type { Router } from '@koa/router';
import type { Module } from '../module.js';
import type { Logger } from '../log.js';
import type { ConfigStore } from '../config/config-store.js';
import type { AgentConfig, Config, Share } from '../config/schema.js';
import type { HearthDatabase } from '../store/store.js';
import type { ShareManager } from '../shares/shares.js';
import type { ShareFileEvent } from '../shares/share-watcher.js';
import { PathGuard } from '../shares/path-guard.js';
import { Problem } from '../http/problem.js';
import { ActivityLog } from '../activity/activity-log.js';
import { AgentOutputs } from './agent-outputs.js';
import { sharedExtractor } from './extract/extractor.js';
import { agentProblems, builtInAgents, describeAgent, newCustomAgent, patchAgent } from './agent-registry.js';
import { JobTransitionError, type Job, type JobQueue, type JobState } from './job-queue.js';
import { Library, type SearchHit } from './library/library.js';
import { askFiles } from './library/ask.js';
import { AgentMemory } from './memory/agent-memory.js';
import { briefingPipeline } from './pipelines/briefing.js';
import { customPipeline } from './pipelines/custom.js';
import { librarianPipeline, type FileJobInput, type PipelineDeps } from './pipelines/librarian.js';
import { RunLog, type RunView } from './run-log.js';
import { AgentRunner, type Pipeline, type RunEnd } from './runner.js';
import { FolderTrigger, type SettledFile } from './triggers/folder-trigger.js';
import { ScheduleTrigger } from './triggers/schedule-trigger.js';
import { FileIndex } from './triggers/file-index.js';
import type { AgentModel } from './types.js';
import { agentRoutes } from './routes.js';

export interface AgentsOptions {
  config: ConfigStore;
  store: HearthDatabase;
  queue: JobQueue;
  shares: ShareManager;
  model: AgentModel;
  log: Logger;
  /** One line on the box's health for the briefing. */
  health: () => string;
  /** How long a file must be still before it is read (ms). */
  settleMs?: number;
}

export type JobCounts = Record<JobState, number>;

export interface AgentView extends AgentConfig {
  description: string;
  nextRun: string | null;
  lastRun: RunView | null;
  counts: JobCounts;
  problems: string[];
}

export interface AgentsOverview {
  paused: boolean;
  pausedReasons: string[];
  concurrency: number;
  counts: JobCounts;
  agents: AgentView[];
}

/** Below this the instructions, a document part and a structured answer do not fit together. */
export const MIN_AGENT_CONTEXT = 2048;
const OWNER_PAUSE = 'owner';
const RESCAN_EVERY_MS = 15 * 60_000;
const MODEL_PAUSE = 'model';
const ACTIVITY_KEEP_MS = 365 * 24 * 3600_000;

/**
 * The agents module: triggers (folder, schedule, manual) write jobs into the durable queue, the
 * runner takes them through the agents' fixed pipelines at background priority, and the results
 * land in the library, the outputs, notes and the activity log. Idle costs nothing: no trigger, no job, no model call.
 */
export class Agents implements Module {
  readonly name = 'agents';
  readonly runs: RunLog;
  readonly library: Library;
  readonly memory: AgentMemory;
  readonly activity: ActivityLog;
  readonly outputs: AgentOutputs;
  readonly folders: FolderTrigger;
  readonly schedules: ScheduleTrigger;
  readonly runner: AgentRunner;
  private readonly pipelines: Record<AgentConfig['kind'], Pipeline>;
  private readonly log: Logger;
  private readonly watchedShares = new Set<string>();
  private readonly scheduled = new Set<string>();
  private rescanTimer: NodeJS.Timeout | null = null;
  /** agent + share pairs already given every known file of the share (see backfill). */
  private readonly backfilled = new Set<string>();
  private readonly files: FileIndex;

  constructor(private readonly options: AgentsOptions) {
    const { store, queue, log } = options;
    this.log = log;
    this.runs = new RunLog(store);
    this.library = new Library(store);
    this.memory = new AgentMemory(store);
    this.activity = new ActivityLog(store);
    this.outputs = new AgentOutputs(store);
    this.files = new FileIndex(store);
    this.folders = new FolderTrigger({ store, log: log.child('folders'), settleMs: options.settleMs });
    this.schedules = new ScheduleTrigger({ store, log: log.child('schedules'), onSlot: (id, slot, missed) => this.onSlot(id, slot, missed) });
    const deps: PipelineDeps = {
      library: this.library,
      memory: this.memory,
      grant: (agent, share, access) => this.grant(agent, share, access),
      agent: (id) => this.find(id) ?? null,
      whereNow: (share, sha256, notPath) => this.files.sameContent(share, sha256, notPath, 1)[0] ?? null,
    };
    this.pipelines = {
      librarian: librarianPipeline(deps),
      briefing: briefingPipeline({ ...deps, runs: this.runs, outputs: this.outputs, health: options.health, agentName: (id) => this.find(id)?.name ?? id }),
      custom: customPipeline({ ...deps, outputs: this.outputs }),
    };
    this.runner = new AgentRunner({
      queue,
      runs: this.runs,
      model: options.model,
      log: log.child('runner'),
      pipelineFor: (job) => {
        const agent = this.find(job.agent);
        return agent ? this.pipelines[agent.kind] : null;
      },
      concurrency: () => this.options.config.data.agentSettings.concurrency,
      skipAgents: () => this.agents().filter((a) => !a.enabled || a.paused).map((a) => a.id),
    });
    this.runner.on('run', (end: RunEnd) => this.recordRun(end));
    this.folders.on('file', (f: SettledFile) => this.onFile(f));
    this.folders.on('removed', (f: { share: string; path: string }) => this.library.markMissing(f.share, f.path));
  }

  private readonly onShareFile = (e: ShareFileEvent): void => this.folders.noteEvent(e);
  private readonly onSharesChanged = (): void => void this.sync().catch((err: Error) => this.log.warn(`agents could not follow the shares: ${err.message}`));
  private readonly onConfig = (next: Config, previous: Config): void => {
    if (next.agents === previous.agents && next.agentSettings === previous.agentSettings && next.shares === previous.shares && next.models === previous.models) return;
    this.onSharesChanged();
  };

  async start(): Promise<void> {
    const { requeued, dead } = this.options.queue.requeueInterrupted();
    const cut = this.runs.markInterrupted();
    if (requeued || dead) this.log.warn(`jobs cut off by the last stop: ${requeued} queued again, ${dead} out of attempts`);
    if (requeued || dead || cut) this.activity.add('agents.recovered', `Picked up after an unexpected stop: ${requeued} job${requeued === 1 ? '' : 's'} queued again${dead ? `, ${dead} given up` : ''}.`, { data: { requeued, dead, runs: cut } });
    this.activity.prune(ACTIVITY_KEEP_MS);
    await this.seedBuiltIns();
    this.options.shares.on('file', this.onShareFile);
    this.options.shares.on('changed', this.onSharesChanged);
    this.options.config.on('change', this.onConfig);
    await this.sync({ rescan: true });
    this.runner.start();
    // The share watcher can miss files dropped into a folder made a moment before (a known chokidar
    // race); a periodic look costs an lstat per file and no hashing when nothing changed.
    this.rescanTimer = setInterval(() => {
      for (const share of this.watchedShares) void this.rescan(share);
    }, RESCAN_EVERY_MS);
    this.rescanTimer.unref();
  }

  async stop(): Promise<void> {
    if (this.rescanTimer) clearInterval(this.rescanTimer);
    this.rescanTimer = null;
    this.options.shares.off('file', this.onShareFile);
    this.options.shares.off('changed', this.onSharesChanged);
    this.options.config.off('change', this.onConfig);
    this.schedules.stop();
    await this.folders.close();
    await this.runner.stop();
    await sharedExtractor.close();
  }

  agents(): readonly AgentConfig[] {
    return this.options.config.data.agents;
  }

  find(id: string): AgentConfig | undefined {
    return this.agents().find((a) => a.id === id);
  }

  get(id: string): AgentConfig {
    const a = this.find(id);
    if (!a) throw new Problem(404, 'No such agent', `There is no agent "${id}". See the Agents page (or hearth agent ls) for their names.`);
    return a;
  }

  private async seedBuiltIns(): Promise<void> {
    const missing = builtInAgents(new Date().toISOString(), this.options.config.data.shares).filter((b) => !this.find(b.id));
    if (missing.length) await this.options.config.update((c) => void c.agents.push(...missing));
  }

  private sharesNow(): readonly Share[] {
    return this.options.config.data.shares;
  }

  /** A guard for a share the agent may use, or an error saying what to change. */
  private grant(agent: AgentConfig, shareName: string, access: 'read' | 'read-write'): PathGuard {
    const share = this.sharesNow().find((s) => s.name === shareName);
    if (!share) throw new Error(`the share "${shareName}" does not exist any more`);
    const readable = access === 'read' ? agent.shares.includes(share.name) || agent.note?.share === share.name : agent.note?.share === share.name;
    if (!readable) throw new Error(`the agent "${agent.name}" was not given the share "${shareName}"`);
    if (share.agents === 'none' || (access === 'read-write' && share.agents !== 'read-write')) {
      throw new Error(`the share "${shareName}" does not let agents ${access === 'read' ? 'read' : 'write'} (Shares page → Agents)`);
    }
    return new PathGuard({ root: share.path, access: access === 'read-write' ? 'read-write' : 'read' });
  }

  /** Triggers follow the settings: watched shares, schedules, pauses, and each share's "watched by" list. */
  private syncing: Promise<void> = Promise.resolve();
  sync(options: { rescan?: boolean } = {}): Promise<void> {
    this.syncing = this.syncing.then(() => this.syncNow(options)).catch((err: Error) => this.log.warn(`agents could not apply their settings: ${err.message}`));
    return this.syncing;
  }

  private async syncNow(options: { rescan?: boolean }): Promise<void> {
    const config = this.options.config.data;
    if (config.agentSettings.paused) this.runner.pause(OWNER_PAUSE, 'Paused by the owner');
    else this.runner.resume(OWNER_PAUSE);
    if (this.options.model.modelId() === null) this.runner.pause(MODEL_PAUSE, 'No model is active yet: agents wait until one is chosen on the Models page');
    else this.runner.resume(MODEL_PAUSE);

    const watched = new Map<string, string[]>();
    for (const a of config.agents) {
      if (!a.enabled || a.trigger.type !== 'folder') continue;
      for (const s of a.shares) watched.set(s, [...(watched.get(s) ?? []), a.id]);
    }
    for (const share of config.shares) {
      const ids = watched.get(share.name);
      if (ids && share.agents !== 'none') {
        const fresh = !this.watchedShares.has(share.name);
        this.watchedShares.add(share.name);
        this.folders.watch(share.name, share.path);
        if (fresh || options.rescan) void this.rescan(share.name);
      } else if (this.watchedShares.delete(share.name)) this.folders.unwatch(share.name);
    }
    const pairs = new Set<string>();
    for (const a of config.agents) {
      if (!a.enabled || a.trigger.type !== 'folder') continue;
      for (const s of a.shares) {
        const key = `${a.id}\u0000${s}`;
        pairs.add(key);
        if (!this.backfilled.has(key)) await this.backfill(a.id, s);
      }
    }
    for (const key of this.backfilled) if (!pairs.has(key)) this.backfilled.delete(key);
    for (const key of pairs) this.backfilled.add(key);
    for (const a of config.agents) {
      if (a.enabled && a.trigger.type === 'schedule') {
        this.schedules.set(a.id, a.trigger);
        this.scheduled.add(a.id);
      } else if (this.scheduled.delete(a.id) || !a.enabled) {
        this.schedules.remove(a.id);
        // Turned off: its missed slots are forgotten, so turning it on later does not run one at once.
        if (!a.enabled) this.schedules.forget(a.id);
      }
    }
    for (const id of this.scheduled) {
      if (config.agents.some((a) => a.id === id)) continue;
      this.schedules.remove(id); // a removed agent
      this.schedules.forget(id);
      this.scheduled.delete(id);
    }
    const changed = config.shares.some((s) => (watched.get(s.name) ?? []).join() !== s.watchedBy.join());
    if (changed) {
      await this.options.config.update((c) => {
        for (const s of c.shares) s.watchedBy = watched.get(s.name) ?? [];
      });
    }
    this.runner.wake();
  }

  /**
   * An agent starts watching a share (turned on, given the share, or hearthd starting): every file
   * already known there gets a job for it. Keys are the contents, so what was done before is not
   * queued again; and a file seen just before a crash, but not yet queued, is not lost.
   */
  private async backfill(agentId: string, share: string): Promise<void> {
    let after = '';
    for (;;) {
      const paths = this.files.pathsAfter(share, after, 500);
      if (paths.length === 0) break;
      for (const path of paths) {
        const seen = this.files.get(share, path);
        if (seen) this.onFile({ share, path, size: seen.size, mtimeMs: seen.mtimeMs, sha256: seen.sha256, renamedFrom: null }, agentId);
      }
      after = paths[paths.length - 1]!;
      await new Promise((r) => setImmediate(r)); // a big share must not hold the web UI up
    }
  }

  private async rescan(share: string): Promise<void> {
    try {
      const r = await this.folders.rescan(share);
      if (r.changed > 0) this.log.info(`share "${share}": ${r.changed} of ${r.scanned} files new or changed since the last look`);
    } catch (err) {
      this.log.warn(`could not look through share "${share}": ${(err as Error).message}`);
    }
  }

  /** A file settled: one job per agent watching its share and per content; the same bytes again (a rename) is no new work. */
  private onFile(f: SettledFile, onlyAgent?: string): void {
    const input: FileJobInput = { share: f.share, path: f.path, sha256: f.sha256, size: f.size, renamedFrom: f.renamedFrom };
    for (const a of this.agents()) {
      if (onlyAgent !== undefined && a.id !== onlyAgent) continue;
      if (!a.enabled || a.trigger.type !== 'folder' || !a.shares.includes(f.share)) continue;
      if (a.note && a.note.share === f.share && (a.note.folder === '' ? f.path.endsWith('.md') && !f.path.includes('/') : f.path.startsWith(`${a.note.folder}/`))) {
        continue; // its own notes: reading them would feed the agent its own output forever
      }
      const { job, created } = this.options.queue.enqueue(a.id, 'folder', input, f.sha256);
      // Renamed before its job ran: the job reads it where it is now.
      if (!created && (job.state === 'queued' || job.state === 'failed')) this.options.queue.retarget(job.id, input);
      if (!created && job.state === 'done') {
        if (this.library.relocate(a.id, f.sha256, f.share, f.path)) {
          this.activity.add('file.moved', `${f.renamedFrom ? `${f.share}/${f.renamedFrom} is now` : 'Known content reappeared as'} ${f.share}/${f.path}: already filed, nothing to redo.`, { agent: a.id, data: { share: f.share, path: f.path, from: f.renamedFrom } });
        }
      }
    }
    this.runner.wake();
  }

  private onSlot(agentId: string, slot: Date, missed: boolean): void {
    const a = this.find(agentId);
    if (!a || !a.enabled) return;
    const iso = slot.toISOString();
    const { created } = this.options.queue.enqueue(a.id, 'schedule', { slot: iso, missed }, `schedule:${iso}`);
    if (created && missed) this.activity.add('agent.catch-up', `${a.name} was due at ${slot.toLocaleString()} while the box was off; it runs now.`, { agent: a.id, data: { slot: iso } });
    this.runner.wake();
  }

  /** "Run now": a folder agent looks through its shares again; other agents get a manual job. */
  async runNow(id: string): Promise<{ job: Job | null; queued: number }> {
    const a = this.get(id);
    const problems = agentProblems(a, this.sharesNow());
    if (problems.length) throw new Problem(409, 'Cannot run', problems[0]!);
    if (a.trigger.type === 'folder') {
      if (!a.enabled) throw new Problem(409, 'Agent is off', `Turn the ${a.name} on first; then it reads what is in ${a.shares.join(', ')}.`);
      const before = this.options.queue.counts(a.id).queued;
      for (const s of a.shares) await this.folders.rescan(s);
      await this.folders.idle();
      this.activity.add('agent.run-now', `${a.name}: looked through ${a.shares.join(', ')} on request.`, { agent: a.id });
      return { job: null, queued: Math.max(0, this.options.queue.counts(a.id).queued - before) };
    }
    const { job } = this.options.queue.enqueue(a.id, 'manual', { requestedAt: new Date().toISOString() }, `manual:${randomUUID()}`);
    this.activity.add('agent.run-now', `${a.name}: run requested.`, { agent: a.id, data: { job: job.id } });
    this.runner.wake();
    return { job, queued: 1 };
  }

  private recordRun(end: RunEnd): void {
    const a = this.find(end.job.agent);
    const name = a?.name ?? end.job.agent;
    const input = end.job.input as Partial<FileJobInput> & { slot?: string };
    const what = input.share && input.path ? `${input.share}/${input.path}` : input.slot ? `the ${new Date(input.slot).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })} run` : 'a run';
    const tokens = { prompt: end.usage.promptTokens, generated: end.usage.generatedTokens };
    if (end.outcome === 'done') {
      const out = (end.output ?? {}) as { title?: string; already?: boolean; skipped?: string };
      if (out.already) return; // nothing new happened: the log stays quiet
      const message = out.skipped ? `${name} skipped ${what}: ${out.skipped}.` : out.title ? `${name} filed “${out.title}” (${what}).` : `${name} finished ${what}.`;
      this.activity.add(out.skipped ? 'agent.skipped' : 'agent.done', message, { agent: end.job.agent, data: { runId: end.runId, job: end.job.id, tokens } });
    } else {
      const dead = end.job.state === 'dead';
      const when = dead ? ' It will not be tried again; retry it from the Agents page.' : ` It will be tried again at ${new Date(end.job.nextAttemptAt).toLocaleTimeString()}.`;
      this.activity.add(dead ? 'agent.dead' : 'agent.failed', `${name} could not finish ${what}: ${end.error}.${when}`, { agent: end.job.agent, data: { runId: end.runId, job: end.job.id, tokens } });
    }
  }

  // ---- the owner's view and changes ----

  view(a: AgentConfig): AgentView {
    const next = a.enabled && a.trigger.type === 'schedule' ? this.schedules.nextRun(a.id) : null;
    return {
      ...a,
      description: describeAgent(a),
      nextRun: next ? next.toISOString() : null,
      lastRun: this.runs.last(a.id),
      counts: this.options.queue.counts(a.id),
      problems: a.enabled ? [...agentProblems(a, this.sharesNow()), ...this.modelProblems()] : [],
    };
  }

  /** The active model's context must hold an agent's prompt and answer; said before jobs fail on it. */
  private modelProblems(): string[] {
    const model = this.options.model;
    if (model.modelId() === null) return ['No model is active yet: agents wait until one is chosen on the Models page.'];
    const tokens = model.contextTokens();
    return tokens < MIN_AGENT_CONTEXT
      ? [`The active model reads only ${tokens} tokens at a time; agents need at least ${MIN_AGENT_CONTEXT}. Choose a model with a larger context on the Models page.`]
      : [];
  }

  overview(): AgentsOverview {
    return {
      paused: this.runner.paused,
      pausedReasons: this.runner.pausedReasons(),
      concurrency: this.options.config.data.agentSettings.concurrency,
      counts: this.options.queue.counts(),
      agents: this.agents().map((a) => this.view(a)),
    };
  }

  async create(input: Record<string, unknown>): Promise<AgentView> {
    const agent = newCustomAgent(input, this.sharesNow(), this.agents().map((a) => a.id));
    await this.options.config.update((c) => void c.agents.push(agent));
    this.activity.add('agent.created', `New agent “${agent.name}”.`, { agent: agent.id });
    await this.sync();
    return this.view(this.get(agent.id));
  }

  async update(id: string, input: Record<string, unknown>): Promise<AgentView> {
    const current = this.get(id);
    const next = patchAgent(current, input, this.sharesNow());
    await this.options.config.update((c) => {
      const i = c.agents.findIndex((a) => a.id === id);
      if (i >= 0) c.agents[i] = next;
    });
    if (next.enabled !== current.enabled) this.activity.add(next.enabled ? 'agent.enabled' : 'agent.disabled', `${next.name} turned ${next.enabled ? 'on' : 'off'}.`, { agent: id });
    if (next.paused !== current.paused) this.activity.add(next.paused ? 'agent.paused' : 'agent.resumed', `${next.name} ${next.paused ? 'paused' : 'resumed'}.`, { agent: id });
    await this.sync();
    return this.view(this.get(id));
  }

  async remove(id: string): Promise<void> {
    const a = this.get(id);
    if (a.kind !== 'custom') throw new Problem(409, 'Built-in agent', `The ${a.name} is built in: turn it off instead of removing it.`);
    await this.options.config.update((c) => {
      c.agents = c.agents.filter((x) => x.id !== id);
    });
    const dropped = this.options.queue.abandon(id, `the agent "${a.name}" was removed`);
    this.activity.add('agent.removed', `Agent “${a.name}” removed; what it filed stays in the library${dropped ? `; ${dropped} waiting job${dropped === 1 ? '' : 's'} dropped` : ''}.`, { agent: id, data: { dropped } });
    await this.sync();
  }

  async setPaused(paused: unknown): Promise<AgentsOverview> {
    if (typeof paused !== 'boolean') throw new Problem(400, 'Invalid request', 'paused must be true or false.');
    if (paused !== this.options.config.data.agentSettings.paused) {
      await this.options.config.update((c) => void (c.agentSettings.paused = paused));
      this.activity.add(paused ? 'agents.paused' : 'agents.resumed', paused ? 'All agents paused by the owner.' : 'Agents resumed.');
    }
    await this.sync();
    return this.overview();
  }

  jobs(filter: { state?: JobState; agent?: string; limit?: number }): Job[] {
    return this.options.queue.list(filter);
  }

  async setConcurrency(value: unknown): Promise<AgentsOverview> {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 8) {
      throw new Problem(400, 'Invalid request', 'concurrency is how many background jobs run at once: a whole number from 1 to 8.');
    }
    await this.options.config.update((c) => void (c.agentSettings.concurrency = value));
    this.runner.wake();
    return this.overview();
  }

  retryJob(id: number): Job {
    try {
      const job = this.options.queue.retry(id);
      this.runner.wake();
      return job;
    } catch (err) {
      if (err instanceof JobTransitionError) throw new Problem(/does not exist/.test(err.message) ? 404 : 409, 'Cannot retry', err.message);
      throw err;
    }
  }

  ask(question: unknown, signal?: AbortSignal) {
    if (typeof question !== 'string' || question.trim().length === 0) throw new Problem(400, 'Invalid request', 'Ask a question, e.g. "When is the tax return due?"');
    if (question.length > 2000) throw new Problem(400, 'Invalid request', 'The question is too long (at most 2000 characters).');
    return askFiles(question.trim(), { library: this.library, model: this.options.model }, { signal });
  }

  /**
   * Library search: full-text hits first, then documents close in meaning when the active model
   * embedded the library (it finds "invoice" for "bill"); a failed embedding leaves the text hits.
   */
  async search(query: string, limit: number, signal?: AbortSignal): Promise<SearchHit[]> {
    const hits = this.library.search(query, { limit });
    const modelId = this.options.model.modelId();
    if (!modelId || hits.length >= limit || !this.library.hasEmbeddings(modelId)) return hits;
    try {
      const [vector] = (await this.options.model.embed([query], { priority: 'interactive', signal })) ?? [];
      if (!vector?.length) return hits;
      const seen = new Set(hits.map((h) => h.document.id));
      for (const h of this.library.semanticSearch(vector, modelId, { limit })) {
        if (hits.length >= limit) break;
        if (!seen.has(h.document.id)) {
          seen.add(h.document.id);
          hits.push(h);
        }
      }
    } catch (err) {
      if (signal?.aborted) throw err;
      this.log.warn(`semantic search left out: ${(err as Error).message}`);
    }
    return hits;
  }

  latestBriefing() {
    return this.outputs.latest('briefing');
  }

  routes(): Router {
    return agentRoutes(this);
  }
}
