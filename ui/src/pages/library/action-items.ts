import { html, type PropertyValues } from 'lit';
import { toApiError } from '../../data/api.js';
import { libraryApi, type ActionItem, type OpenActionItem } from '../../data/agents.js';
import { formAlert, formStatus } from '../../components/form.js';
import { icon } from '../../components/icons.js';
import { fire } from '../../events.js';
import { LibrarySection } from './section.js';
import { actionItemList, actionItemStyles } from './document-view.js';

/** Every open action item the agents found, soonest due first as the server sorts them; tick one off and it goes. */
export class LibraryActions extends LibrarySection {
  static override properties = {
    ...LibrarySection.properties,
    stamp: {},
    items: { state: true },
    ticking: { state: true },
    done: { state: true },
  };
  declare stamp: number;
  declare items: OpenActionItem[] | null;
  declare ticking: ReadonlySet<number>;
  /** What was just ticked off, said once. */
  declare done: string;

  static override styles = [...LibrarySection.styles, actionItemStyles];

  constructor() {
    super();
    this.stamp = 0;
    this.items = null;
    this.ticking = new Set();
    this.done = '';
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('stamp')) void this.load();
  }

  private async load(): Promise<void> {
    try {
      this.items = (await libraryApi.openActionItems()).items;
    } catch (err) {
      this.showError(toApiError(err));
    }
  }

  private async toggle(item: ActionItem, done: boolean): Promise<void> {
    this.ticking = new Set([...this.ticking, item.id]);
    this.formError = '';
    try {
      const updated = await libraryApi.setDone(item.id, done);
      if (updated.doneAt) {
        this.items = (this.items ?? []).filter((i) => i.id !== item.id);
        this.done = `Done: ${item.text}`;
      }
      fire(this, 'library-changed', {});
    } catch (err) {
      this.showError(toApiError(err));
      this.requestUpdate();
    } finally {
      this.ticking = new Set([...this.ticking].filter((id) => id !== item.id));
    }
  }

  protected override render() {
    const items = this.items;
    return html`<section class="card" id="actions" aria-labelledby="actions-title">
      <h2 id="actions-title">${icon('list', 20)} To do${items?.length ? ` (${items.length})` : ''}</h2>
      ${formAlert(this.formError, 'actions-error')} ${formStatus(this.done)}
      ${!items
        ? html`<p class="empty" role="status">Loading…</p>`
        : items.length
          ? actionItemList(items, this.ticking, (a, done) => void this.toggle(a, done))
          : html`<p class="empty">Nothing open. Action items the Librarian finds in your documents show up here.</p>`}
    </section>`;
  }
}
customElements.define('hearth-library-actions', LibraryActions);

declare global {
  interface HTMLElementTagNameMap {
    'hearth-library-actions': LibraryActions;
  }
}
