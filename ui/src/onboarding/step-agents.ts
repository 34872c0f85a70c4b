import { css, html, nothing, type TemplateResult } from 'lit';
import { toApiError, type ApiError, type SetupState } from '../data/api.js';
import { agentsApi, type AgentPatch, type AgentView } from '../data/agents.js';
import { sharesApi, type ShareView } from '../data/shares.js';
import { FormElement, formAlert, submitButton, stepLoadProblem } from '../components/form.js';
import { dailyTime } from '../components/agent-view.js';
import { shared } from '../components/styles.js';
import { icon, type IconName } from '../components/icons.js';
import { fire } from '../events.js';

const INBOX = 'Inbox';

type Choice = 'librarian' | 'briefing';

interface Option {
  id: Choice;
  icon: IconName;
  title: string;
  text: string;
  /** Why it cannot be turned on here, or "". */
  blocked: string;
}

/**
 * Step 7: agents. Two switches, both on to begin with: the Librarian for the Inbox, and the
 * morning Briefing. Continue turns on what is on; an agent that cannot start (no Inbox, say) is
 * said plainly and the owner goes on. Skipping is fine: the Agents page has it all later.
 */
export class StepAgents extends FormElement {
  static override properties = {
    ...FormElement.properties,
    state: { attribute: false },
    inbox: { state: true },
    agents: { state: true },
    loaded: { state: true },
    loadError: { state: true },
    chosen: { state: true },
    results: { state: true },
  };
  declare state: SetupState | undefined;
  /** The Inbox share, or null when there is none. */
  declare inbox: ShareView | null;
  declare agents: AgentView[];
  declare loaded: boolean;
  declare loadError: ApiError | null;
  declare chosen: ReadonlySet<Choice>;
  /** After Continue: what became of each agent asked for ("" done, else why not). */
  declare results: Partial<Record<Choice, string>>;

  constructor() {
    super();
    this.focusOnShow = false;
    this.sessionRequired = true;
    this.inbox = null;
    this.agents = [];
    this.loaded = false;
    this.loadError = null;
    this.chosen = new Set<Choice>(['librarian', 'briefing']);
    this.results = {};
  }

  static override styles = [
    shared,
    css`
      .agent {
        display: grid;
        grid-template-columns: auto minmax(0, 1fr) auto;
        gap: 0.3rem 0.9rem;
        align-items: start;
        padding: 1rem;
        border: 1px solid var(--hearth-border-strong);
        border-radius: var(--hearth-radius-sm);
        background: var(--hearth-surface);
        transition: border-color 0.15s, box-shadow 0.15s, background 0.15s;
      }
      .agent.on {
        border-color: var(--hearth-accent);
        box-shadow: 0 0 0 1px var(--hearth-accent);
        background: #fffaf6;
      }
      .agent label {
        font-size: 1.02rem;
        font-weight: 650;
        cursor: pointer;
      }
      .agent p {
        margin: 0.2rem 0 0;
        font-size: 0.93rem;
        color: var(--hearth-muted);
      }
      .agent .switch {
        margin-top: 0.15rem;
      }
      .agent .note {
        grid-column: 2 / -1;
        margin: 0.35rem 0 0;
      }
      .agent .note.done {
        color: var(--hearth-ok);
        font-weight: 550;
      }
      .loading {
        padding: 1rem 0;
      }
      @media (max-width: 420px) {
        .agent {
          grid-template-columns: minmax(0, 1fr) auto;
        }
        .badge {
          display: none;
        }
        .agent .note {
          grid-column: 1 / -1;
        }
      }
    `,
  ];

  override connectedCallback(): void {
    super.connectedCallback();
    void this.load();
  }

  private async load(): Promise<void> {
    this.loadError = null;
    const [shares, agents] = await Promise.allSettled([sharesApi.list(), agentsApi.list()]);
    if (shares.status === 'rejected') {
      const e = toApiError(shares.reason);
      if (!this.sessionEnded(e)) this.loadError = e;
      return;
    }
    this.inbox = shares.value.shares.find((s) => s.name.toLowerCase() === INBOX.toLowerCase()) ?? null;
    if (agents.status === 'fulfilled') this.agents = agents.value.agents;
    // An agent that cannot start here is not offered as on.
    if (this.librarianBlocked()) this.chosen = new Set([...this.chosen].filter((c) => c !== 'librarian'));
    this.loaded = true;
    await this.updateComplete;
    this.renderRoot.querySelector<HTMLElement>('input.switch:not(:disabled)')?.focus();
  }

  private librarianBlocked(): string {
    if (!this.inbox) return 'There is no Inbox folder, so the Librarian has nothing to read yet. Go back to make one, or give it a folder later on the Agents page.';
    if (this.inbox.agents === 'none')
      return 'The Inbox folder does not let agents read it. Allow it in its settings on the Shares page, then turn the Librarian on on the Agents page.';
    return '';
  }

  private briefingTime(): string {
    const b = this.agents.find((a) => a.id === 'briefing');
    return (b?.trigger.type === 'schedule' && dailyTime(b.trigger.cron)) || '07:00';
  }

  private options(): Option[] {
    const inbox = this.inbox?.name ?? INBOX;
    return [
      {
        id: 'librarian',
        icon: 'library',
        title: `Librarian for your ${inbox}`,
        text: `Reads each document you drop in ${inbox} and files a summary, tags and to-dos in your Library.`,
        blocked: this.librarianBlocked(),
      },
      {
        id: 'briefing',
        icon: 'sun',
        title: 'Morning briefing',
        text: `At ${this.briefingTime()}, a one-page summary of what arrived, open to-dos and deadlines.`,
        blocked: '',
      },
    ];
  }

  private toggle(id: Choice, on: boolean): void {
    const next = new Set(this.chosen);
    if (on) next.add(id);
    else next.delete(id);
    this.chosen = next;
    const { [id]: _gone, ...rest } = this.results;
    this.results = rest;
  }

  /** What to send for each agent: on as chosen; off only for one that is on now and was switched off. */
  private patches(): [Choice, AgentPatch][] {
    const out: [Choice, AgentPatch][] = [];
    for (const o of this.options()) {
      const now = this.agents.find((a) => a.id === o.id);
      if (this.chosen.has(o.id) && !o.blocked) out.push([o.id, o.id === 'librarian' ? { enabled: true, shares: [this.inbox!.name] } : { enabled: true }]);
      else if (!this.chosen.has(o.id) && now?.enabled) out.push([o.id, { enabled: false }]);
    }
    return out;
  }

  private async submit(e: Event): Promise<void> {
    e.preventDefault();
    // Asked once and something could not be turned on: the owner read why, and goes on.
    if (Object.values(this.results).some(Boolean)) {
      fire(this, 'step-done', {});
      return;
    }
    const results: Partial<Record<Choice, string>> = {};
    const done = await this.run(async () => {
      for (const [id, patch] of this.patches()) {
        try {
          await agentsApi.update(id, patch);
          results[id] = '';
        } catch (err) {
          const error = toApiError(err);
          if (error.status === 401) throw error;
          results[id] = error.detail;
        }
      }
      return true;
    });
    if (!done) return;
    this.results = results;
    if (Object.values(results).some(Boolean)) {
      await this.updateComplete;
      this.renderRoot.querySelector<HTMLElement>('[data-testid="agent-failed"]')?.focus();
      return;
    }
    fire(this, 'step-done', {});
  }

  /** Enter on a switch continues, as on any other step. */
  private onKeydown(e: KeyboardEvent): void {
    if (e.key === 'Enter' && (e.target as HTMLElement).matches('input.switch')) {
      e.preventDefault();
      (e.currentTarget as HTMLFormElement).requestSubmit();
    }
  }

  private option(o: Option): TemplateResult {
    const id = `agent-${o.id}`;
    const on = this.chosen.has(o.id) && !o.blocked;
    const result = this.results[o.id];
    return html`<div class="agent ${on ? 'on' : ''}" data-agent=${o.id}>
      <span class="badge">${icon(o.icon, 22)}</span>
      <div>
        <label for=${id}>${o.title}</label>
        <p id="${id}-text">${o.text}</p>
      </div>
      <input
        type="checkbox"
        role="switch"
        class="switch"
        id=${id}
        .checked=${on}
        ?disabled=${Boolean(o.blocked) || this.busy}
        aria-describedby="${id}-text${o.blocked || result ? ` ${id}-note` : ''}"
        @change=${(e: Event) => this.toggle(o.id, (e.target as HTMLInputElement).checked)}
      />
      ${o.blocked
        ? html`<p class="note banner info" id="${id}-note" data-testid="agent-blocked">${icon('info', 18)}<span>${o.blocked}</span></p>`
        : result
          ? html`<p class="note banner error" id="${id}-note" role="alert" tabindex="-1" data-testid="agent-failed">${icon('alert', 18)}<span>${result}</span></p>`
          : result === ''
            ? html`<p class="note done" id="${id}-note">${icon('check', 16)} ${this.chosen.has(o.id) ? 'Turned on' : 'Turned off'}</p>`
            : nothing}
    </div>`;
  }

  private body(): TemplateResult {
    if (this.loadError) return stepLoadProblem(this.loadError.detail, () => fire(this, 'step-done', {}), () => void this.load());
    if (!this.loaded) return html`<p class="loading" role="status"><span class="spinner" aria-hidden="true"></span>Looking at this box’s folders…</p>`;
    const failed = Object.values(this.results).some(Boolean);
    return html`<form novalidate @submit=${this.submit} @keydown=${this.onKeydown}>
      ${formAlert(this.formError)}
      <fieldset>
        <legend class="visually-hidden">Agents to turn on</legend>
        ${this.options().map((o) => this.option(o))}
      </fieldset>
      <p class="muted small">
        ${failed
          ? 'You can go on, and turn it on later on the Agents page.'
          : 'They use the model on this box; your files never leave it. Change this, pause them, or make your own agents later on the Agents page.'}
      </p>
      <div class="actions">
        <button class="btn quiet" type="button" @click=${() => fire(this, 'step-back', {})}>Back</button>
        <span class="spacer"></span>
        ${failed ? nothing : html`<button class="btn quiet" type="button" ?disabled=${this.busy} @click=${() => fire(this, 'step-done', {})}>Skip for now</button>`}
        ${submitButton(failed ? 'Continue anyway' : 'Continue', 'Turning on…', this.busy)}
      </div>
    </form>`;
  }

  protected override render() {
    return html`<h1>Turn on agents</h1>
      <p class="lead">Agents work for you around the clock: they read what lands in your folders and have a summary ready each morning.</p>
      ${this.body()}`;
  }
}
customElements.define('hearth-step-agents', StepAgents);

declare global {
  interface HTMLElementTagNameMap {
    'hearth-step-agents': StepAgents;
  }
}
