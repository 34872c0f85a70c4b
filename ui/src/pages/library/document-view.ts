import { css, html, nothing, type PropertyValues, type TemplateResult } from 'lit';
import { toApiError, type ApiError } from '../../data/api.js';
import { libraryApi, type ActionItem, type DocumentDetail } from '../../data/agents.js';
import { downloadUrl } from '../../data/shares.js';
import { formAlert } from '../../components/form.js';
import { chips, listText, whenText } from '../../components/agent-view.js';
import { formatBytes, formatDate } from '../../components/model-view.js';
import { icon } from '../../components/icons.js';
import { LibrarySection, wherePath } from './section.js';

/** A date the model found ("2025-03-31"), shown the person's way when it is one. */
function dayText(date: string): string {
  return /^\d{4}-\d{2}-\d{2}$/.test(date) ? formatDate(`${date}T12:00:00`) : date;
}

/** Action items with a box to tick each done; ticking asks the server, and the box follows its answer. */
export function actionItemList(
  items: (ActionItem & { document?: { id: number; title: string } })[],
  pending: ReadonlySet<number>,
  onToggle: (item: ActionItem, done: boolean) => void,
): TemplateResult {
  return html`<ul class="todo">
    ${items.map(
      (a) => html`<li class=${a.doneAt ? 'done' : ''} data-item=${a.id}>
        <input type="checkbox" id="item-${a.id}" .checked=${Boolean(a.doneAt)} ?disabled=${pending.has(a.id)} @change=${(e: Event) =>
          onToggle(a, (e.target as HTMLInputElement).checked)} />
        <label for="item-${a.id}">${a.text}</label>
        <p class="facts">
          ${a.due ? html`<span class="due">Due ${dayText(a.due)}</span>` : nothing}
          ${a.document ? html`<span>From <a href="/library/${a.document.id}">${a.document.title}</a></span>` : nothing}
        </p>
      </li>`,
    )}
  </ul>`;
}

export const actionItemStyles = css`
  ul.todo {
    list-style: none;
    margin: 0;
    padding: 0;
    display: grid;
    gap: 0.6rem;
  }
  ul.todo li {
    display: grid;
    grid-template-columns: auto minmax(0, 1fr);
    gap: 0.1rem 0.65rem;
    align-items: start;
  }
  ul.todo input {
    width: 1.15rem;
    height: 1.15rem;
    margin: 0.2rem 0 0;
    accent-color: var(--hearth-accent);
  }
  ul.todo label {
    font-weight: 500;
    overflow-wrap: anywhere;
    cursor: pointer;
  }
  ul.todo li.done label {
    text-decoration: line-through;
    color: var(--hearth-muted);
  }
  ul.todo .facts {
    grid-column: 2;
  }
  ul.todo .due {
    color: #93370d;
    font-weight: 550;
  }
`;

/** One document: what the Librarian made of it, where the file and its note are, and its action items to tick off. */
export class LibraryDocument extends LibrarySection {
  static override properties = {
    ...LibrarySection.properties,
    documentId: { attribute: false },
    doc: { state: true },
    loadError: { state: true },
    ticking: { state: true },
  };
  declare documentId: number;
  declare doc: DocumentDetail | null;
  declare loadError: ApiError | null;
  declare ticking: ReadonlySet<number>;

  static override styles = [
    ...LibrarySection.styles,
    actionItemStyles,
    css`
      .card {
        display: grid;
        gap: 1.1rem;
      }
      .card > h2,
      .card > p {
        margin: 0;
      }
      h2 {
        font-size: 1.3rem;
        overflow-wrap: anywhere;
      }
      .summary-text {
        font-size: 1.02rem;
        white-space: pre-wrap;
      }
      dl {
        display: grid;
        grid-template-columns: minmax(7rem, max-content) minmax(0, 1fr);
        gap: 0.6rem 1.25rem;
        margin: 0;
      }
      dt {
        color: var(--hearth-muted);
        font-size: 0.9rem;
      }
      dd {
        margin: 0;
        overflow-wrap: anywhere;
      }
      dd ul {
        margin: 0;
        padding-left: 1.1rem;
      }
      h3 {
        margin: 0 0 0.5rem;
      }
      @media (max-width: 480px) {
        dl {
          grid-template-columns: minmax(0, 1fr);
          gap: 0.1rem;
        }
        dd + dt {
          margin-top: 0.55rem;
        }
      }
    `,
  ];

  constructor() {
    super();
    this.doc = null;
    this.loadError = null;
    this.ticking = new Set();
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('documentId')) void this.load();
  }

  private async load(): Promise<void> {
    try {
      this.doc = await libraryApi.get(this.documentId);
      this.loadError = null;
    } catch (err) {
      const e = toApiError(err);
      if (!this.sessionEnded(e)) this.loadError = e;
    }
  }

  private async toggle(item: ActionItem, done: boolean): Promise<void> {
    this.ticking = new Set([...this.ticking, item.id]);
    this.formError = '';
    try {
      const updated = await libraryApi.setDone(item.id, done);
      if (this.doc) this.doc = { ...this.doc, actionItems: this.doc.actionItems.map((a) => (a.id === updated.id ? updated : a)) };
    } catch (err) {
      this.showError(toApiError(err));
      // The box goes back to what the server holds.
      this.requestUpdate();
    } finally {
      this.ticking = new Set([...this.ticking].filter((id) => id !== item.id));
    }
  }

  private fileLink(share: string, path: string, missing = false): TemplateResult {
    const where = wherePath({ share, path });
    if (missing) return html`<span class="where">${where}</span> <span class="tag bad">Moved or deleted</span>`;
    return html`<a class="where" href=${downloadUrl(share, path)} download>${where}</a>`;
  }

  private list(values: string[]): TemplateResult | string {
    return values.length ? listText(values) : '—';
  }

  protected override render() {
    if (this.loadError) {
      return html`<section class="card problem" role="alert">
        <h2>${icon('alert', 20)} ${this.loadError.status === 404 ? 'Not in the library' : this.loadError.title}</h2>
        <p>${this.loadError.status === 404 ? 'This document is not in the library (any more).' : this.loadError.detail}</p>
        <a class="btn secondary" href="/library">Back to the library</a>
      </section>`;
    }
    const d = this.doc;
    if (!d) return html`<p class="loading" role="status"><span class="spinner" aria-hidden="true"></span>Opening the document…</p>`;
    return html`<article class="card" aria-labelledby="doc-title" data-document=${d.id}>
      <h2 id="doc-title" tabindex="-1">${d.title || d.name}</h2>
      ${chips(d.tags)}
      ${d.extracted
        ? html`<p class="summary-text">${d.summary}</p>`
        : html`<p class="banner info">${icon('info', 18)}<span>No text could be read from this file, so it is filed by its name and type only.</span></p>`}
      <dl>
        <dt>Type</dt>
        <dd>${d.docType || '—'}</dd>
        <dt>People</dt>
        <dd>${this.list(d.people)}</dd>
        <dt>Organisations</dt>
        <dd>${this.list(d.organisations)}</dd>
        <dt>Dates</dt>
        <dd>
          ${d.dates.length
            ? html`<ul>
                ${d.dates.map((x) => html`<li><strong>${dayText(x.date)}</strong>${x.what ? ` — ${x.what}` : ''}</li>`)}
              </ul>`
            : '—'}
        </dd>
        <dt>File</dt>
        <dd>${this.fileLink(d.share, d.path, d.missing)}<br /><span class="muted small">${d.format.toUpperCase()}, ${formatBytes(d.size)}</span></dd>
        <dt>Note</dt>
        <dd>${d.note ? this.fileLink(d.note.share, d.note.path) : 'No note written'}</dd>
        <dt>Filed</dt>
        <dd>${whenText(d.createdAt)} by ${d.agent === 'librarian' ? 'the Librarian' : `the agent ${d.agent}`}${d.extracted ? `, from ${d.textChars.toLocaleString('en')} characters of text` : ''}</dd>
      </dl>
      <div>
        <h3>Action items</h3>
        ${formAlert(this.formError, 'items-error')}
        ${d.actionItems.length ? actionItemList(d.actionItems, this.ticking, (a, done) => void this.toggle(a, done)) : html`<p class="empty">None found.</p>`}
      </div>
    </article>`;
  }
}
customElements.define('hearth-library-document', LibraryDocument);

declare global {
  interface HTMLElementTagNameMap {
    'hearth-library-document': LibraryDocument;
  }
}
