import { css, html, nothing, type PropertyValues } from 'lit';
import { toApiError } from '../../data/api.js';
import { libraryApi, type DocumentSummary, type SearchHit } from '../../data/agents.js';
import { formAlert } from '../../components/form.js';
import { formatCount, markedSnippet } from '../../components/agent-view.js';
import { icon } from '../../components/icons.js';
import { LibrarySection, documentItem } from './section.js';

const PAGE = 20;
const SEARCH_LIMIT = 30;
/** Wait this long after the last key before searching. */
const DEBOUNCE_MS = 250;

/** The library: every document filed, newest first, a page at a time; or, with words typed, what matches them. */
export class LibraryDocuments extends LibrarySection {
  static override properties = {
    ...LibrarySection.properties,
    /** Changes when the page learns the library changed: ask again. */
    stamp: {},
    query: { state: true },
    documents: { state: true },
    total: { state: true },
    hits: { state: true },
    searching: { state: true },
    loadError: { state: true },
  };
  declare stamp: number;
  declare query: string;
  declare documents: DocumentSummary[] | null;
  declare total: number;
  /** Search results for `query`, or null while no words are typed. */
  declare hits: SearchHit[] | null;
  declare searching: boolean;
  declare loadError: string;
  private timer: number | undefined;
  private seq = 0;

  static override styles = [
    ...LibrarySection.styles,
    css`
      .search {
        position: relative;
        margin-bottom: 1rem;
      }
      .search .icon {
        position: absolute;
        left: 0.85rem;
        top: 50%;
        transform: translateY(-50%);
        color: var(--hearth-muted);
        pointer-events: none;
      }
      .search input {
        padding-left: 2.6rem;
      }
      .count {
        margin: 0 0 0.5rem;
        font-size: 0.88rem;
        color: var(--hearth-muted);
      }
      .more {
        margin-top: 1rem;
        display: flex;
        justify-content: center;
      }
    `,
  ];

  constructor() {
    super();
    this.stamp = 0;
    this.query = '';
    this.documents = null;
    this.total = 0;
    this.hits = null;
    this.searching = false;
    this.loadError = '';
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    window.clearTimeout(this.timer);
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('stamp')) void (this.query.trim() ? this.search() : this.loadList(Math.max(PAGE, this.documents?.length ?? 0)));
  }

  private async loadList(limit = PAGE, offset = 0): Promise<void> {
    const seq = ++this.seq;
    try {
      const page = await libraryApi.list({ limit, offset });
      if (seq !== this.seq) return;
      this.documents = offset === 0 ? page.documents : [...(this.documents ?? []), ...page.documents];
      this.total = page.total;
      this.loadError = '';
    } catch (err) {
      const e = toApiError(err);
      if (seq === this.seq && !this.sessionEnded(e)) this.loadError = e.detail;
    }
  }

  private async search(): Promise<void> {
    const q = this.query.trim();
    const seq = ++this.seq;
    if (q === '') {
      this.hits = null;
      this.searching = false;
      await this.loadList();
      return;
    }
    this.searching = true;
    try {
      const { hits } = await libraryApi.search(q, SEARCH_LIMIT);
      if (seq !== this.seq) return;
      this.hits = hits;
      this.loadError = '';
    } catch (err) {
      const e = toApiError(err);
      if (seq === this.seq && !this.sessionEnded(e)) this.loadError = e.detail;
    } finally {
      if (seq === this.seq) this.searching = false;
    }
  }

  private onInput(value: string): void {
    this.query = value;
    window.clearTimeout(this.timer);
    this.timer = window.setTimeout(() => void this.search(), DEBOUNCE_MS);
  }

  private submit(e: Event): void {
    e.preventDefault();
    window.clearTimeout(this.timer);
    void this.search();
  }

  private results() {
    if (this.hits) {
      if (this.hits.length === 0) return html`<p class="empty" role="status">Nothing in the library matches “${this.query.trim()}”.</p>`;
      return html`<p class="count" role="status">${this.hits.length === 1 ? '1 match' : `${this.hits.length} matches`}</p>
        <ul class="docs" aria-label="Search results">
          ${this.hits.map((h) =>
            documentItem(
              h.document,
              html`${h.via === 'semantic' ? html`<span class="tag" title="Found by meaning rather than by the words">Related</span> ` : nothing}${markedSnippet(h.snippet || h.document.summary)}`,
            ),
          )}
        </ul>`;
    }
    const docs = this.documents;
    if (!docs) return html`<p class="empty" role="status">Loading the library…</p>`;
    if (docs.length === 0)
      return html`<p class="empty">
        Nothing filed yet. Turn on the Librarian on the <a href="/agents">Agents page</a> and drop documents into its folder.
      </p>`;
    return html`<p class="count">${this.total === 1 ? '1 document' : `${formatCount(this.total)} documents`}, newest first</p>
      <ul class="docs" aria-label="Documents">
        ${docs.map((d) => documentItem(d, d.summary))}
      </ul>
      ${docs.length < this.total
        ? html`<div class="more">
            <button class="btn secondary small" type="button" @click=${() => void this.loadList(PAGE, docs.length)}>
              Show more (${formatCount(this.total - docs.length)} left)
            </button>
          </div>`
        : nothing}`;
  }

  protected override render() {
    return html`<section class="card" aria-labelledby="docs-title">
      <h2 id="docs-title">${icon('library', 20)} Documents</h2>
      <form role="search" novalidate @submit=${this.submit}>
        <div class="search">
          ${icon('search', 18)}
          <label class="visually-hidden" for="library-search">Search your files</label>
          <input
            id="library-search"
            type="search"
            placeholder="Search your files"
            autocomplete="off"
            .value=${this.query}
            aria-busy=${this.searching ? 'true' : 'false'}
            @input=${(e: Event) => this.onInput((e.target as HTMLInputElement).value)}
          />
        </div>
      </form>
      ${formAlert(this.loadError, 'docs-error')} ${this.results()}
    </section>`;
  }
}
customElements.define('hearth-library-documents', LibraryDocuments);

declare global {
  interface HTMLElementTagNameMap {
    'hearth-library-documents': LibraryDocuments;
  }
}
