import { css, html, nothing } from 'lit';
import { repeat } from 'lit/directives/repeat.js';
import { toApiError } from '../data/api.js';
import { activityEvents, agentsApi, type AgentsView } from '../data/agents.js';
import { sharesApi, type ShareView } from '../data/shares.js';
import { agentViewStyles, countStats } from '../components/agent-view.js';
import { formAlert } from '../components/form.js';
import { dialogStyles } from '../components/styles.js';
import { icon } from '../components/icons.js';
import { LoadedPage, pageHead } from './page.js';
import type { AgentEditor } from './agents/agent-editor.js';
import './agents/agent-card.js';
import './agents/agent-editor.js';

/** While work is queued or running, ask again this often (not every step of a job makes an activity entry). */
const BUSY_POLL_MS = 4000;

/**
 * Agents: the switch that pauses all background work (and why it is paused), a card per agent,
 * and a dialog to make a custom one. The page owns GET /api/agents; it asks again when a card
 * reports a change, when the activity stream says something happened, and while jobs are under way.
 */
export class PageAgents extends LoadedPage<AgentsView> {
  static override properties = {
    ...LoadedPage.properties,
    shares: { state: true },
    switching: { state: true },
    switchError: { state: true },
  };
  declare shares: ShareView[];
  declare switching: boolean;
  declare switchError: string;
  private unsubscribe: (() => void) | null = null;
  private soon: number | undefined;
  private poll: number | undefined;

  static override styles = [
    ...LoadedPage.styles,
    agentViewStyles,
    dialogStyles,
    css`
      .all {
        display: grid;
        gap: 0.75rem;
      }
      .all-head {
        display: flex;
        flex-wrap: wrap;
        align-items: center;
        justify-content: space-between;
        gap: 0.75rem 1.5rem;
      }
      .all-head h2 {
        margin: 0;
      }
      .all-head p {
        margin: 0.2rem 0 0;
        color: var(--hearth-muted);
      }
      .reasons {
        margin: 0;
        padding-left: 1.2rem;
      }
      .new {
        display: flex;
        flex-wrap: wrap;
        align-items: center;
        justify-content: space-between;
        gap: 0.75rem 1.5rem;
      }
      .new h2 {
        margin: 0;
      }
      .new p {
        margin: 0.2rem 0 0;
      }
      dialog {
        width: min(40rem, calc(100vw - 1.5rem));
        max-height: calc(100dvh - 2rem);
      }
      @media (max-width: 600px) {
        dialog {
          padding: 1.1rem;
        }
      }
    `,
  ];

  constructor() {
    super();
    this.shares = [];
    this.switching = false;
    this.switchError = '';
    this.addEventListener('agents-changed', (e) => {
      e.stopPropagation();
      void this.refresh();
    });
    this.addEventListener('agent-saved', (e) => {
      const { created } = (e as CustomEvent<{ created: boolean }>).detail;
      if (created) this.dialog?.close();
    });
  }

  protected override fetchView(): Promise<AgentsView> {
    return agentsApi.list();
  }

  override connectedCallback(): void {
    super.connectedCallback();
    // The folders are for the settings forms; without them the page still works.
    sharesApi.list().then(
      (v) => (this.shares = v.shares),
      () => undefined,
    );
    this.unsubscribe = activityEvents.subscribe(() => this.refreshSoon());
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.unsubscribe?.();
    this.unsubscribe = null;
    window.clearTimeout(this.soon);
    window.clearTimeout(this.poll);
  }

  /** Activity comes in bursts (a folder of files): ask once it settles. */
  private refreshSoon(): void {
    window.clearTimeout(this.soon);
    this.soon = window.setTimeout(() => void this.refresh(), 300);
  }

  protected override updated(): void {
    window.clearTimeout(this.poll);
    const c = this.view?.counts;
    if (c && c.queued + c.running > 0 && this.isConnected) this.poll = window.setTimeout(() => void this.refresh(), BUSY_POLL_MS);
  }

  private async setPaused(paused: boolean): Promise<void> {
    this.switching = true;
    this.switchError = '';
    try {
      this.view = await agentsApi.setPaused(paused);
    } catch (err) {
      const e = toApiError(err);
      if (e.status === 401) return void this.refresh();
      this.switchError = e.detail;
    } finally {
      this.switching = false;
    }
  }

  private get dialog(): HTMLDialogElement | null {
    return this.renderRoot.querySelector('dialog');
  }

  private async openNew(): Promise<void> {
    const editor = this.renderRoot.querySelector<AgentEditor>('dialog hearth-agent-editor');
    editor?.reset();
    this.dialog?.showModal();
    await editor?.updateComplete;
    editor?.renderRoot.querySelector<HTMLElement>('input')?.focus();
  }

  private allCard(view: AgentsView) {
    const running = !view.paused;
    const n = view.concurrency;
    return html`<section class="card all" aria-labelledby="all-title">
      <div class="all-head">
        <div>
          <h2 id="all-title">${icon(running ? 'play' : 'pause', 20)} ${running ? 'Agents are running' : 'Agents are paused'}</h2>
          <p>
            ${running
              ? `In the background, ${n === 1 ? 'one job at a time' : `up to ${n} jobs at a time`}, whenever the model is free.`
              : 'Nothing new starts; triggers still queue work, which runs once agents resume.'}
          </p>
        </div>
        <label class="switch-label"
          ><input
            type="checkbox"
            role="switch"
            class="switch"
            data-testid="agents-running"
            .checked=${running}
            ?disabled=${this.switching}
            @change=${(e: Event) => void this.setPaused(!(e.target as HTMLInputElement).checked)}
          />Run agents</label
        >
      </div>
      ${view.pausedReasons.length
        ? html`<div class="banner warn" data-testid="paused-reasons">
            ${icon('pause', 18)}
            <ul class="reasons">
              ${view.pausedReasons.map((r) => html`<li>${r}</li>`)}
            </ul>
          </div>`
        : nothing}
      ${formAlert(this.switchError, 'pause-error')} ${countStats(view.counts)}
    </section>`;
  }

  protected override render() {
    const head = pageHead('Agents', 'Helpers that work on their own, around the clock: on new files, on a schedule, or when you ask.');
    const view = this.view;
    if (!view) return html`${head}${this.waitOrProblem('Looking at the agents…')}`;
    return html`${head} ${this.staleProblem()}
      <div class="sections">
        ${this.allCard(view)}
        ${repeat(
          view.agents,
          (a) => a.id,
          (a) => html`<hearth-agent-card .agent=${a} .shares=${this.shares} ?allPaused=${view.paused}></hearth-agent-card>`,
        )}
        <section class="card new" aria-labelledby="new-title">
          <div>
            <h2 id="new-title">${icon('agent', 20)} Your own agent</h2>
            <p class="muted">Write what it should do with each file or each day, in your own words.</p>
          </div>
          <button class="btn secondary" type="button" @click=${() => void this.openNew()}>New agent</button>
        </section>
      </div>
      <dialog aria-labelledby="new-agent-title">
        <h2 id="new-agent-title">New agent</h2>
        <hearth-agent-editor .shares=${this.shares}>
          <button slot="cancel" class="btn quiet" type="button" @click=${() => this.dialog?.close()}>Cancel</button>
        </hearth-agent-editor>
      </dialog>`;
  }
}
customElements.define('hearth-page-agents', PageAgents);

declare global {
  interface HTMLElementTagNameMap {
    'hearth-page-agents': PageAgents;
  }
}
