import { LitElement, css, html } from 'lit';
import { shared } from '../components/styles.js';
import { icon } from '../components/icons.js';
import { pageStyles } from './page-styles.js';
import type { Section } from './sections.js';

/** A section that is not built yet: says what it will do. */
export class PageComing extends LitElement {
  static override properties = { section: { attribute: false } };
  declare section: Section;

  static override styles = [
    shared,
    pageStyles,
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

  protected override firstUpdated(): void {
    this.renderRoot.querySelector<HTMLElement>('h1')?.focus();
  }

  protected override render() {
    return html`
      <div class="page-head"><h1 tabindex="-1">${this.section.label}</h1></div>
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
