import { css, html, nothing, type TemplateResult } from 'lit';
import { agentsApi, type AgentView } from '../../data/agents.js';
import type { ShareView } from '../../data/shares.js';
import { formAlert, formStatus } from '../../components/form.js';
import { KIND_TEXT, OUTCOME, agoText, countStats, triggerText, whenText } from '../../components/agent-view.js';
import { icon, type IconName } from '../../components/icons.js';
import { disclosureStyles } from '../../components/styles.js';
import { AgentSection } from './section.js';
import './agent-editor.js';
import './agent-runs.js';

const KIND_ICON: Record<AgentView['kind'], IconName> = { librarian: 'library', briefing: 'sun', custom: 'agent' };

/**
 * One agent: what it does and when, on/off, pause, Run now, its problems, job counts, jobs that
 * gave up (Retry), the last runs, its settings, and (custom agents) delete.
 */
export class AgentCard extends AgentSection {
  static override properties = {
    ...AgentSection.properties,
    agent: { attribute: false },
    shares: { attribute: false },
    /** Background work is paused for every agent. */
    allPaused: { type: Boolean },
    status: { state: true },
  };
  declare agent: AgentView;
  declare shares: ShareView[];
  declare allPaused: boolean;
  declare status: string;

  static override styles = [
    ...AgentSection.styles,
    disclosureStyles,
    css`
      .card {
        display: grid;
        gap: 0.9rem;
      }
      /* The card's grid spaces its parts; a banner needs no margins of its own here. */
      .card > .banner {
        margin: 0;
      }
      .head {
        display: grid;
        grid-template-columns: auto minmax(0, 1fr) auto;
        gap: 0.25rem 0.9rem;
        align-items: start;
      }
      .off .badge {
        background: var(--hearth-surface-2);
        color: var(--hearth-muted);
      }
      .head p {
        margin: 0.2rem 0 0;
        color: var(--hearth-muted);
      }
      .switch-label {
        font-size: 0.9rem;
      }
      dl {
        display: grid;
        grid-template-columns: repeat(auto-fit, minmax(min(100%, 12rem), 1fr));
        gap: 0.6rem 1.25rem;
        margin: 0;
      }
      dt {
        font-size: 0.82rem;
        color: var(--hearth-muted);
      }
      dd {
        margin: 0;
        font-weight: 550;
        overflow-wrap: anywhere;
      }
      .card > .actions {
        justify-content: flex-start;
        margin: 0;
      }
      .card > .status:empty {
        display: none;
      }
      .dead h3 {
        font-size: 0.95rem;
      }
      .confirm {
        margin: 0;
      }
      @media (max-width: 600px) {
        .head {
          grid-template-columns: auto minmax(0, 1fr);
        }
        .switch-label {
          grid-column: 1 / -1;
          justify-self: start;
          margin-top: 0.4rem;
        }
        .badge {
          width: 2.2rem;
          height: 2.2rem;
        }
      }
    `,
  ];

  constructor() {
    super();
    this.shares = [];
    this.allPaused = false;
    this.status = '';
  }

  private setEnabled(on: boolean): void {
    this.status = '';
    void this.act('enable', () => agentsApi.update(this.agent.id, { enabled: on }));
  }

  private setPaused(paused: boolean): void {
    this.status = '';
    void this.act('pause', () => agentsApi.update(this.agent.id, { paused }));
  }

  private async runNow(): Promise<void> {
    this.status = '';
    const result = await this.act('run', () => agentsApi.run(this.agent.id));
    if (!result) return;
    const { job, queued } = result;
    const waits = this.allPaused ? ' They wait while agents are paused.' : this.agent.paused ? ' They wait until you resume this agent.' : '';
    if (job) this.status = `Queued (job ${job.id}).${waits.replace('They', 'It')}`;
    else if (queued > 0) this.status = `Looked through its folders: ${queued === 1 ? '1 file' : `${queued} files`} queued.${waits}`;
    else this.status = 'Looked through its folders: nothing new to read.';
  }

  private async deleteAgent(): Promise<void> {
    const done = await this.act('delete', async () => {
      await agentsApi.remove(this.agent.id);
      return true;
    });
    if (done) this.confirming = '';
  }

  private stateTag(a: AgentView): TemplateResult | typeof nothing {
    if (!a.enabled) return html`<span class="tag">Off</span>`;
    if (a.paused) return html`<span class="tag warn">Paused</span>`;
    if (a.counts.running > 0) return html`<span class="tag accent">Working</span>`;
    return html`<span class="tag ok">On</span>`;
  }

  private facts(a: AgentView): TemplateResult {
    const last = a.lastRun;
    const outcome = last ? OUTCOME[last.outcome] : null;
    return html`<dl>
      <div>
        <dt>Runs</dt>
        <dd data-testid="agent-trigger">${triggerText(a)}</dd>
      </div>
      ${a.trigger.type === 'schedule'
        ? html`<div>
            <dt>Next run</dt>
            <dd data-testid="agent-next-run">${a.enabled && a.nextRun ? whenText(a.nextRun) : a.enabled ? 'Not planned' : 'Off'}</dd>
          </div>`
        : nothing}
      <div>
        <dt>Last run</dt>
        <dd>${last ? html`<span class="tag ${outcome?.tone ?? ''}">${outcome?.label ?? last.outcome}</span> ${agoText(last.startedAt)}` : 'Never'}</dd>
      </div>
      <div>
        <dt>Results go to</dt>
        <dd>${[a.kind === 'briefing' ? 'the dashboard' : a.library ? 'the Library' : '', a.note ? `notes in ${[a.note.share, a.note.folder].filter(Boolean).join('/')}` : ''].filter(Boolean).join(' and ') || 'Nowhere yet'}</dd>
      </div>
    </dl>`;
  }

  protected override render() {
    const a = this.agent;
    if (!a) return nothing;
    const busy = Boolean(this.pendingAction);
    return html`<section class="card ${a.enabled ? '' : 'off'}" aria-labelledby="agent-title" data-agent=${a.id}>
      <div class="head">
        <span class="badge">${icon(KIND_ICON[a.kind], 22)}</span>
        <div>
          <h2 id="agent-title" class="with-tags"><span class="name">${a.name}</span> <span class="tag">${KIND_TEXT[a.kind]}</span> ${this.stateTag(a)}</h2>
          <p>${a.description}</p>
        </div>
        <label class="switch-label"
          ><input
            type="checkbox"
            role="switch"
            class="switch"
            .checked=${a.enabled}
            ?disabled=${busy}
            aria-label=${`${a.name} on`}
            @change=${(e: Event) => this.setEnabled((e.target as HTMLInputElement).checked)}
          /><span aria-hidden="true">${a.enabled ? 'On' : 'Off'}</span></label
        >
      </div>
      ${a.problems.map((p) => html`<p class="banner warn" data-testid="agent-problem">${icon('alert', 18)}<span>${p}</span></p>`)}
      ${formAlert(this.formError, `agent-error-${a.id}`)} ${this.facts(a)} ${countStats(a.counts)}
      <div class="actions">
        ${this.button({ key: 'run', label: 'Run now', busyLabel: 'Queuing…', forName: a.name, kind: 'primary', onClick: () => void this.runNow() })}
        ${a.enabled
          ? this.button({
              key: 'pause',
              label: a.paused ? 'Resume' : 'Pause',
              busyLabel: a.paused ? 'Resuming…' : 'Pausing…',
              forName: a.name,
              onClick: () => this.setPaused(!a.paused),
            })
          : nothing}
        ${a.kind === 'custom'
          ? this.button({ key: 'ask-delete', label: 'Delete', busyLabel: 'Delete', forName: a.name, kind: 'quiet', onClick: () => void this.confirm('delete') })
          : nothing}
      </div>
      ${formStatus(this.status)}
      ${this.confirmBox({
        key: 'delete',
        returnTo: 'ask-delete',
        text: html`Delete <strong>${a.name}</strong>? It stops running; what it already filed stays in the Library and its notes stay in their folder.`,
        yes: 'Delete agent',
        busyLabel: 'Deleting…',
        forName: a.name,
        onYes: () => void this.deleteAgent(),
      })}
      ${a.counts.dead > 0
        ? html`<div class="dead">
            <h3>Gave up</h3>
            <hearth-agent-dead-jobs .agent=${a.id} .stamp=${`${a.counts.dead}:${a.counts.queued}`}></hearth-agent-dead-jobs>
          </div>`
        : nothing}
      <details>
        <summary>Last runs</summary>
        <hearth-agent-runs .agent=${a.id} .stamp=${`${a.lastRun?.id ?? ''}:${a.lastRun?.outcome ?? ''}:${a.counts.running}`}></hearth-agent-runs>
      </details>
      <details>
        <summary>Settings</summary>
        <hearth-agent-editor .agent=${a} .shares=${this.shares}></hearth-agent-editor>
      </details>
    </section>`;
  }
}
customElements.define('hearth-agent-card', AgentCard);

declare global {
  interface HTMLElementTagNameMap {
    'hearth-agent-card': AgentCard;
  }
}
