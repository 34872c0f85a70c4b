import { css, html, nothing, type PropertyValues, type TemplateResult } from 'lit';
import { toApiError } from '../../data/api.js';
import { agentsApi, type JobView, type RunView } from '../../data/agents.js';
import { OUTCOME, agoText, formatCount, formatMs, whenText } from '../../components/agent-view.js';
import { formAlert } from '../../components/form.js';
import { AgentSection } from './section.js';
import { dataTableStyles } from '../../components/styles.js';

const RUNS = 10;

const TRIGGER_TEXT: Record<string, string> = { folder: 'New file', schedule: 'On schedule', manual: 'Run now', 'catch-up': 'Missed slot' };

/** What a run or job worked on, when its input says: "Inbox/letter.pdf", or the trigger in words. */
export function inputText(trigger: string, input: unknown): string {
  if (input && typeof input === 'object') {
    const o = input as Record<string, unknown>;
    if (typeof o.share === 'string' && typeof o.path === 'string') return `${o.share}/${o.path}`;
  }
  return TRIGGER_TEXT[trigger] ?? trigger;
}

/** An agent's last runs: outcome, what it read, tokens, time to first token, how long; errors in words under their run. */
export class AgentRuns extends AgentSection {
  static override properties = {
    ...AgentSection.properties,
    agent: {},
    /** Changes when the agent's last run does: asks again. */
    stamp: {},
    runs: { state: true },
    loadError: { state: true },
  };
  declare agent: string;
  declare stamp: string;
  declare runs: RunView[] | null;
  declare loadError: string;
  private seq = 0;

  static override styles = [
    ...AgentSection.styles,
    dataTableStyles,
    css`
      .wrap {
        overflow-x: auto;
      }
      td.what {
        overflow-wrap: anywhere;
        min-width: 8rem;
      }
      tr.has-error td {
        border-bottom: 0;
      }
      td.run-error {
        border-top: 0;
        padding-top: 0;
        color: var(--hearth-error);
        overflow-wrap: anywhere;
      }
      @media (max-width: 600px) {
        tr.error-row {
          border-top: 0;
          padding-top: 0;
        }
        td.what,
        td.run-error {
          flex-basis: 100%;
        }
      }
    `,
  ];

  constructor() {
    super();
    this.agent = '';
    this.stamp = '';
    this.runs = null;
    this.loadError = '';
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('agent') || changed.has('stamp')) void this.load();
  }

  private async load(): Promise<void> {
    const seq = ++this.seq;
    try {
      const { runs } = await agentsApi.runs({ agent: this.agent, limit: RUNS });
      if (seq === this.seq) [this.runs, this.loadError] = [runs, ''];
    } catch (err) {
      const e = toApiError(err);
      if (seq === this.seq && !this.sessionEnded(e)) this.loadError = e.detail;
    }
  }

  private row(r: RunView): TemplateResult {
    const o = OUTCOME[r.outcome] ?? { label: r.outcome, tone: '' };
    return html`<tr class=${r.error ? 'has-error' : ''} data-run=${r.id}>
        <td title=${whenText(r.startedAt)}>${agoText(r.startedAt)}</td>
        <td><span class="tag ${o.tone}">${o.label}</span></td>
        <td class="what">${inputText(r.trigger, r.input)}</td>
        <td class="num" data-label="Tokens in / out">${formatCount(r.promptTokens)} / ${formatCount(r.generatedTokens)}</td>
        <td class="num" data-label="First token">${formatMs(r.ttftMs)}</td>
        <td class="num" data-label="Took">${r.outcome === 'running' ? '…' : formatMs(r.durationMs)}</td>
      </tr>
      ${r.error ? html`<tr class="error-row"><td class="run-error" colspan="6">${r.error}</td></tr>` : nothing}`;
  }

  protected override render() {
    if (this.loadError) return formAlert(this.loadError, `runs-error-${this.agent}`);
    if (!this.runs) return html`<p class="empty" role="status">Loading runs…</p>`;
    if (this.runs.length === 0) return html`<p class="empty">No runs yet.</p>`;
    return html`<div class="wrap">
      <table>
        <caption class="visually-hidden">Last runs</caption>
        <thead>
          <tr>
            <th scope="col">When</th>
            <th scope="col">Outcome</th>
            <th scope="col">What</th>
            <th scope="col">Tokens in / out</th>
            <th scope="col">First token</th>
            <th scope="col">Took</th>
          </tr>
        </thead>
        <tbody>
          ${this.runs.map((r) => this.row(r))}
        </tbody>
      </table>
    </div>`;
  }
}
customElements.define('hearth-agent-runs', AgentRuns);

/** Jobs that gave up after their last attempt: what they were for, the error, and Retry. */
export class AgentDeadJobs extends AgentSection {
  static override properties = {
    ...AgentSection.properties,
    agent: {},
    stamp: {},
    jobs: { state: true },
  };
  declare agent: string;
  declare stamp: string;
  declare jobs: JobView[] | null;

  constructor() {
    super();
    this.agent = '';
    this.stamp = '';
    this.jobs = null;
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('agent') || changed.has('stamp')) void this.load();
  }

  private async load(): Promise<void> {
    try {
      this.jobs = (await agentsApi.jobs({ state: 'dead', agent: this.agent, limit: 20 })).jobs;
    } catch (err) {
      this.showError(toApiError(err));
    }
  }

  protected override render() {
    if (!this.jobs?.length) return formAlert(this.formError, `dead-error-${this.agent}`);
    return html`${formAlert(this.formError, `dead-error-${this.agent}`)}
      <ul class="rows" aria-label="Jobs that gave up">
        ${this.jobs.map((j) => {
          const what = inputText(j.trigger, j.input);
          return html`<li data-job=${j.id}>
            <div class="info">
              <h3>${what}</h3>
              <p class="facts"><span>Gave up ${agoText(j.finishedAt ?? j.updatedAt)}</span><span>after ${j.attempts} attempts</span></p>
              ${j.lastError ? html`<p class="error">${j.lastError}</p>` : nothing}
            </div>
            <div class="act">
              ${this.button({ key: `retry:${j.id}`, label: 'Retry', busyLabel: 'Retrying…', forName: what, onClick: () => void this.act(`retry:${j.id}`, () => agentsApi.retryJob(j.id)) })}
            </div>
          </li>`;
        })}
      </ul>`;
  }
}
customElements.define('hearth-agent-dead-jobs', AgentDeadJobs);

declare global {
  interface HTMLElementTagNameMap {
    'hearth-agent-runs': AgentRuns;
    'hearth-agent-dead-jobs': AgentDeadJobs;
  }
}
