import { html, nothing } from 'lit';
import { toApiError } from '../../data/api.js';
import { libraryApi, type MemoryFact } from '../../data/agents.js';
import { formAlert } from '../../components/form.js';
import { agoText } from '../../components/agent-view.js';
import { icon } from '../../components/icons.js';
import { LibrarySection } from './section.js';

/** What agents remember between runs: each fact, which agent keeps it and from where; forget one (asks first). */
export class LibraryMemory extends LibrarySection {
  static override properties = {
    ...LibrarySection.properties,
    facts: { state: true },
  };
  declare facts: MemoryFact[] | null;

  constructor() {
    super();
    this.facts = null;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    void this.load();
  }

  private async load(): Promise<void> {
    try {
      this.facts = (await libraryApi.memory()).facts;
    } catch (err) {
      this.showError(toApiError(err));
    }
  }

  private async forget(f: MemoryFact): Promise<void> {
    const done = await this.act(`forget:${f.id}`, async () => {
      await libraryApi.forget(f.id);
      return true;
    });
    if (!done) return;
    this.confirming = '';
    this.facts = (this.facts ?? []).filter((x) => x.id !== f.id);
  }

  private row(f: MemoryFact) {
    const short = f.fact.length > 60 ? `${f.fact.slice(0, 57)}…` : f.fact;
    return html`<li data-fact=${f.id}>
      <div class="info">
        <p>${f.fact}</p>
        <p class="facts"><span>Kept by ${f.agent}</span>${f.source ? html`<span>from ${f.source}</span>` : nothing}<span>${agoText(f.createdAt)}</span></p>
      </div>
      <div class="act">
        ${this.button({ key: `ask-forget:${f.id}`, label: 'Forget', busyLabel: 'Forget', forName: short, kind: 'quiet', onClick: () => void this.confirm(`forget:${f.id}`) })}
      </div>
      ${this.confirmBox({
        key: `forget:${f.id}`,
        returnTo: `ask-forget:${f.id}`,
        text: html`Forget “${short}”? The agent no longer knows it, unless it learns it again.`,
        yes: 'Forget it',
        busyLabel: 'Forgetting…',
        forName: short,
        onYes: () => void this.forget(f),
      })}
    </li>`;
  }

  protected override render() {
    return html`<section class="card" aria-labelledby="memory-title">
      <h2 id="memory-title">${icon('brain', 20)} Memory</h2>
      <p class="intro">Facts agents keep between runs, to do better next time. Forget any you do not want kept.</p>
      ${formAlert(this.formError, 'memory-error')}
      ${!this.facts
        ? html`<p class="empty" role="status">Loading…</p>`
        : this.facts.length
          ? html`<ul class="rows" aria-label="Facts">
              ${this.facts.map((f) => this.row(f))}
            </ul>`
          : html`<p class="empty">Nothing remembered yet.</p>`}
    </section>`;
  }
}
customElements.define('hearth-library-memory', LibraryMemory);

declare global {
  interface HTMLElementTagNameMap {
    'hearth-library-memory': LibraryMemory;
  }
}
