import { css, html, type PropertyValues } from 'lit';
import { activityEvents } from '../data/agents.js';
import { icon } from '../components/icons.js';
import { Page, pageHead } from './page.js';
import './library/ask-files.js';
import './library/document-list.js';
import './library/document-view.js';
import './library/action-items.js';
import './library/memory-list.js';

/**
 * Library: what the agents read and filed. Ask a question of it, search it, tick off action items,
 * see and prune the agents' memory; /library/<id> opens one document. The lists ask again when
 * something is ticked off here or when the activity stream says an agent filed something.
 */
export class PageLibrary extends Page {
  static override properties = {
    documentId: { attribute: false },
    stamp: { state: true },
  };
  /** The document to show, or null for the library itself. */
  declare documentId: number | null;
  declare stamp: number;
  private unsubscribe: (() => void) | null = null;
  private soon: number | undefined;

  static override styles = [
    ...Page.styles,
    css`
      a.back {
        display: inline-flex;
        align-items: center;
        gap: 0.35rem;
        font-weight: 600;
        text-decoration: none;
      }
      a.back:hover {
        text-decoration: underline;
      }
    `,
  ];

  constructor() {
    super();
    this.documentId = null;
    this.stamp = 0;
    this.addEventListener('library-changed', (e) => {
      e.stopPropagation();
      this.stamp += 1;
    });
  }

  override connectedCallback(): void {
    super.connectedCallback();
    this.unsubscribe = activityEvents.subscribe(() => {
      // Filing comes in bursts (a folder of files): ask once it settles.
      window.clearTimeout(this.soon);
      this.soon = window.setTimeout(() => (this.stamp += 1), 500);
    });
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.unsubscribe?.();
    this.unsubscribe = null;
    window.clearTimeout(this.soon);
  }

  protected override updated(changed: PropertyValues<this>): void {
    if (changed.has('documentId') && changed.get('documentId') !== undefined) this.renderRoot.querySelector<HTMLElement>('h1')?.focus();
  }

  protected override render() {
    if (this.documentId !== null) {
      return html`<div class="page-head">
          <a class="back" href="/library">${icon('back', 18)} Library</a>
          <h1 tabindex="-1" class="visually-hidden">Document</h1>
        </div>
        <hearth-library-document .documentId=${this.documentId}></hearth-library-document>`;
    }
    return html`${pageHead('Library', 'What your agents have read and filed: search it, ask it questions, and tick off what needs doing.')}
      <div class="sections">
        <hearth-library-ask></hearth-library-ask>
        <hearth-library-documents .stamp=${this.stamp}></hearth-library-documents>
        <hearth-library-actions .stamp=${this.stamp}></hearth-library-actions>
        <hearth-library-memory></hearth-library-memory>
      </div>`;
  }
}
customElements.define('hearth-page-library', PageLibrary);

declare global {
  interface HTMLElementTagNameMap {
    'hearth-page-library': PageLibrary;
  }
}
