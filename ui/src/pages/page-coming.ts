import { css, html } from 'lit';
import { icon } from '../components/icons.js';
import { Page, pageHead } from './page.js';
import type { Section } from './sections.js';

/** A section that is not built yet: says what it will do. */
export class PageComing extends Page {
  static override properties = { section: { attribute: false } };
  declare section: Section;

  static override styles = [
    ...Page.styles,
    css`
      .empty {
        display: grid;
        justify-items: center;
        text-align: center;
        gap: 0.75rem;
        padding-block: 3rem;
      }
      .empty .badge {
        display: grid;
        place-items: center;
        width: 3.5rem;
        height: 3.5rem;
        border-radius: 16px;
        background: var(--hearth-accent-soft);
        color: var(--hearth-accent);
      }
      .empty p {
        max-width: 30rem;
        margin: 0;
      }
    `,
  ];

  protected override render() {
    return html`
      ${pageHead(this.section.label)}
      <section class="card empty">
        <span class="badge">${icon(this.section.icon, 28)}</span>
        <h2>Coming soon</h2>
        <p class="muted">${this.section.coming}</p>
        <p class="small muted">This part of Hearth arrives in a later update.</p>
      </section>
    `;
  }
}
customElements.define('hearth-page-coming', PageComing);

declare global {
  interface HTMLElementTagNameMap {
    'hearth-page-coming': PageComing;
  }
}
