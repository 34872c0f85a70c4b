import { LitElement, css, html, nothing, type TemplateResult } from 'lit';
import { shared } from '../components/styles.js';

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
  .loading {
    display: flex;
    align-items: center;
    gap: 0.6rem;
    color: var(--hearth-muted);
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
