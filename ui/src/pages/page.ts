import { LitElement, css, html, nothing, type TemplateResult } from 'lit';
import { toApiError, type ApiError } from '../data/api.js';
import { shared } from '../components/styles.js';
import { icon } from '../components/icons.js';
import { fire } from '../events.js';

/** A card's heading with its icon in front. */
export const cardTitleStyles = css`
  .card h2 {
    display: flex;
    align-items: center;
    gap: 0.55rem;
  }
`;

/** Page heading and card grid shared by the signed-in pages. */
const pageStyles = css`
  :host {
    display: grid;
    gap: 1.25rem;
    align-content: start;
  }
  .page-head h1 {
    margin: 0;
  }
  .page-head p {
    margin: 0.25rem 0 0;
    color: var(--hearth-muted);
  }
  .grid {
    display: grid;
    gap: 1rem;
    grid-template-columns: repeat(auto-fit, minmax(min(100%, 13rem), 1fr));
  }
  ${cardTitleStyles}
  .card > p:last-child {
    margin-bottom: 0;
  }
  /* A page of sections that loads its data: the sections, the wait, and what went wrong. */
  .sections {
    display: grid;
    gap: 1.25rem;
    min-width: 0;
  }
  .problem {
    display: grid;
    gap: 0.75rem;
    justify-items: start;
  }
  .problem p {
    margin: 0;
  }
  .soon {
    display: inline-block;
    font-size: 0.72rem;
    font-weight: 650;
    text-transform: uppercase;
    letter-spacing: 0.04em;
    padding: 0.1rem 0.45rem;
    border-radius: 999px;
    background: var(--hearth-surface-2);
    border: 1px solid var(--hearth-border);
    color: var(--hearth-muted);
    vertical-align: middle;
  }
`;

/** Base for a signed-in page: the shared page styles, and focus on the page's heading when it opens. */
export class Page extends LitElement {
  static override styles = [shared, pageStyles];

  protected override firstUpdated(): void {
    this.renderRoot.querySelector<HTMLElement>('h1')?.focus();
  }
}

/** The page's heading (focused when the page opens), with a line under it when there is one. */
export function pageHead(title: string, lead?: string | TemplateResult): TemplateResult {
  return html`<div class="page-head">
    <h1 tabindex="-1">${title}</h1>
    ${lead ? html`<p>${lead}</p>` : nothing}
  </div>`;
}

/**
 * A page that shows one answer of the server (`fetchView`): asks when it opens and whenever told to,
 * one request at a time (and one more if asked meanwhile); the wait and a failure have one look.
 */
export abstract class LoadedPage<T> extends Page {
  static override properties = {
    view: { state: true },
    loadError: { state: true },
  };
  declare view: T | null;
  declare loadError: ApiError | null;
  private loading: Promise<void> | null = null;
  private again = false;

  constructor() {
    super();
    this.view = null;
    this.loadError = null;
  }

  protected abstract fetchView(): Promise<T>;

  /** The page shows a new answer (after `view` is set). */
  protected loaded(_view: T): void {}

  override connectedCallback(): void {
    super.connectedCallback();
    void this.refresh();
  }

  /** Ask the server again; one request at a time, and one more if asked meanwhile. */
  protected refresh(): Promise<void> {
    if (this.loading) {
      this.again = true;
      return this.loading;
    }
    this.loading = (async () => {
      do {
        this.again = false;
        try {
          const view = await this.fetchView();
          this.view = view;
          this.loadError = null;
          this.loaded(view);
        } catch (err) {
          const e = toApiError(err);
          if (e.status === 401) {
            fire(this, 'hearth-refresh', { notice: 'Your session ended. Sign in again to continue.' });
            return;
          }
          this.loadError = e;
        }
      } while (this.again);
    })().finally(() => (this.loading = null));
    return this.loading;
  }

  /** Before the first answer: the wait (`waiting` says for what), or what went wrong and Try again. */
  protected waitOrProblem(waiting: string): TemplateResult {
    if (this.loadError) {
      return html`<section class="card problem" role="alert">
        <h2>${icon('alert', 20)} ${this.loadError.title}</h2>
        <p>${this.loadError.detail}</p>
        <button class="btn primary" type="button" @click=${() => void this.refresh()}>Try again</button>
      </section>`;
    }
    return html`<p class="loading" role="status"><span class="spinner" aria-hidden="true"></span>${waiting}</p>`;
  }

  /** A later answer failed: the page still shows the last one, and says so. */
  protected staleProblem(): TemplateResult | typeof nothing {
    return this.loadError ? html`<p class="banner error" role="alert">${icon('alert', 18)}<span>${this.loadError.detail}</span></p>` : nothing;
  }
}
