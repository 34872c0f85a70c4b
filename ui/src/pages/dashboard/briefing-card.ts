import { LitElement, css, html, nothing, type TemplateResult } from 'lit';
import { toApiError } from '../../data/api.js';
import { activityEvents, agentsApi, libraryApi, type AgentView, type Briefing } from '../../data/agents.js';
import { downloadUrl } from '../../data/shares.js';
import { fire } from '../../events.js';
import { dailyTime, whenText } from '../../components/agent-view.js';
import { icon } from '../../components/icons.js';
import { shared } from '../../components/styles.js';
import { cardTitleStyles } from '../page.js';

/** Items shown per list before "and n more". */
const SHOWN = 5;

/**
 * The dashboard's morning briefing: the latest one the Briefing agent wrote (what arrived, what
 * was done, open to-dos, deadlines, the box's health), or when the first one comes; and how many
 * action items are open. Asks again when the activity stream says the briefing agent did something.
 */
export class BriefingCard extends LitElement {
  static override properties = {
    briefing: { state: true },
    agent: { state: true },
    openItems: { state: true },
    loadError: { state: true },
    loaded: { state: true },
  };
  declare briefing: Briefing | null;
  /** The Briefing agent, when the agents list answered. */
  declare agent: AgentView | null;
  declare openItems: number | null;
  declare loadError: string;
  declare loaded: boolean;
  private unsubscribe: (() => void) | null = null;

  static override styles = [
    shared,
    cardTitleStyles,
    css`
      :host {
        display: grid;
        gap: 1rem;
        grid-template-columns: minmax(0, 2.2fr) minmax(min(100%, 13rem), 1fr);
        align-items: start;
      }
      @media (max-width: 760px) {
        :host {
          grid-template-columns: minmax(0, 1fr);
        }
      }
      .card {
        display: grid;
        gap: 0.85rem;
      }
      .card h2 {
        margin: 0;
      }
      .card p {
        margin: 0;
      }
      .when {
        font-size: 0.88rem;
        color: var(--hearth-muted);
      }
      .headline {
        font-size: 1.05rem;
        font-weight: 600;
      }
      .parts {
        display: grid;
        grid-template-columns: repeat(auto-fit, minmax(min(100%, 14rem), 1fr));
        gap: 0.85rem 1.5rem;
      }
      h3 {
        font-size: 0.85rem;
        font-weight: 650;
        text-transform: uppercase;
        letter-spacing: 0.04em;
        color: var(--hearth-muted);
        margin: 0 0 0.3rem;
      }
      ul {
        margin: 0;
        padding-left: 1.1rem;
        overflow-wrap: anywhere;
      }
      li + li {
        margin-top: 0.15rem;
      }
      .health {
        display: flex;
        gap: 0.5rem;
        align-items: flex-start;
        font-size: 0.92rem;
        color: var(--hearth-muted);
        padding-top: 0.75rem;
        border-top: 1px solid var(--hearth-border);
      }
      .health .icon {
        margin-top: 0.15rem;
      }
      .none {
        color: var(--hearth-muted);
      }
      .count {
        font-size: 2.2rem;
        font-weight: 700;
        line-height: 1;
        font-variant-numeric: tabular-nums;
      }
      .todo a.btn {
        justify-self: start;
      }
    `,
  ];

  constructor() {
    super();
    this.briefing = null;
    this.agent = null;
    this.openItems = null;
    this.loadError = '';
    this.loaded = false;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    void this.load();
    this.unsubscribe = activityEvents.subscribe((c) => {
      if (c.type === 'reopened' || c.entry.agent === 'briefing' || /action|library/.test(c.entry.kind)) void this.load();
    });
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.unsubscribe?.();
    this.unsubscribe = null;
  }

  private async load(): Promise<void> {
    const [briefing, agents, items] = await Promise.allSettled([libraryApi.briefing(), agentsApi.list(), libraryApi.openActionItems()]);
    if (briefing.status === 'fulfilled') {
      this.briefing = briefing.value.briefing;
      this.loadError = '';
    } else {
      const e = toApiError(briefing.reason);
      if (e.status === 401) return fire(this, 'hearth-refresh', { notice: 'Your session ended. Sign in again to continue.' });
      this.loadError = e.detail;
    }
    if (agents.status === 'fulfilled') this.agent = agents.value.agents.find((a) => a.kind === 'briefing') ?? null;
    if (items.status === 'fulfilled') this.openItems = items.value.items.length;
    this.loaded = true;
  }

  private listPart(title: string, items: string[], empty: string): TemplateResult {
    const more = items.length - SHOWN;
    return html`<div>
      <h3>${title}</h3>
      ${items.length
        ? html`<ul>
            ${items.slice(0, SHOWN).map((i) => html`<li>${i}</li>`)}
            ${more > 0 ? html`<li class="none">and ${more} more</li>` : nothing}
          </ul>`
        : html`<p class="none">${empty}</p>`}
    </div>`;
  }

  /** No briefing yet: when the first comes, or how to get one. */
  private noBriefing(): TemplateResult {
    const a = this.agent;
    const time = a?.trigger.type === 'schedule' ? dailyTime(a.trigger.cron) : null;
    if (a && !a.enabled) return html`<p class="none">The morning briefing is off. Turn it on on the <a href="/agents">Agents page</a>.</p>`;
    return html`<p class="none" data-testid="no-briefing">No briefing yet — the first arrives at ${time ?? '07:00'}.</p>`;
  }

  private briefingCard(): TemplateResult {
    const b = this.briefing;
    return html`<section class="card" aria-labelledby="briefing-title" data-testid="briefing">
      <h2 id="briefing-title">${icon('sun', 20)} ${b?.title || 'Morning briefing'}</h2>
      ${this.loadError ? html`<p class="banner error" role="alert">${icon('alert', 18)}<span>${this.loadError}</span></p>` : nothing}
      ${!this.loaded
        ? html`<p class="none" role="status">Loading…</p>`
        : !b
          ? this.noBriefing()
          : html`<p class="when">Written ${whenText(b.createdAt)}</p>
              <p class="headline">${b.content.headline}</p>
              <div class="parts">
                ${this.listPart('Arrived', b.content.arrived, 'Nothing new.')} ${this.listPart('Done', b.content.done, 'Nothing.')}
                ${this.listPart('To do', b.content.actionItems, 'Nothing open.')} ${this.listPart('Deadlines', b.content.deadlines, 'None coming up.')}
              </div>
              ${b.content.health ? html`<p class="health">${icon('info', 16)}<span>${b.content.health}</span></p>` : nothing}
              ${b.note ? html`<p class="small"><a href=${downloadUrl(b.note.share, b.note.path)} download>Download as a note</a></p>` : nothing}`}
    </section>`;
  }

  protected override render() {
    const n = this.openItems;
    return html`${this.briefingCard()}
      <section class="card todo" aria-labelledby="todo-title">
        <h2 id="todo-title">${icon('list', 20)} To do</h2>
        <p><span class="count" data-testid="open-items">${n ?? '–'}</span></p>
        <p class="none">${n === 1 ? 'open action item from your documents' : 'open action items from your documents'}</p>
        <a class="btn secondary small" href="/library">Open the Library</a>
      </section>`;
  }
}
customElements.define('hearth-briefing-card', BriefingCard);

declare global {
  interface HTMLElementTagNameMap {
    'hearth-briefing-card': BriefingCard;
  }
}
