import { css, html } from 'lit';
import type { SetupState } from '../data/api.js';
import { icon } from '../components/icons.js';
import { Page, pageHead } from './page.js';
import { SECTIONS } from './sections.js';
import './dashboard/briefing-card.js';

/** The box at one of its .local names, on the port this page came from (8080 in development). */
const addressUrl = (host: string): string => `${location.protocol}//${host}${location.port ? `:${location.port}` : ''}/`;

/** Home after setup: the box at a glance, and what is coming. */
export class PageDashboard extends Page {
  static override properties = { state: { attribute: false } };
  declare state: SetupState;

  static override styles = [
    ...Page.styles,
    css`
      .box {
        display: grid;
        gap: 1.25rem;
      }
      .box-head {
        display: flex;
        flex-wrap: wrap;
        align-items: center;
        justify-content: space-between;
        gap: 0.75rem;
      }
      .box-head h2 {
        margin: 0;
        overflow-wrap: anywhere;
        min-width: 0;
      }
      .status {
        display: inline-flex;
        align-items: center;
        gap: 0.45rem;
        font-size: 0.9rem;
        font-weight: 600;
        color: var(--hearth-ok);
        background: var(--hearth-ok-soft);
        border: 1px solid #abefc6;
        padding: 0.2rem 0.7rem;
        border-radius: 999px;
      }
      .status::before {
        content: '';
        width: 0.5rem;
        height: 0.5rem;
        border-radius: 50%;
        background: currentColor;
      }
      dl {
        display: grid;
        grid-template-columns: repeat(auto-fit, minmax(min(100%, 12rem), 1fr));
        gap: 1rem 1.5rem;
        margin: 0;
      }
      dt {
        font-size: 0.85rem;
        color: var(--hearth-muted);
        margin-bottom: 0.2rem;
      }
      dd {
        margin: 0;
        font-weight: 600;
        overflow-wrap: anywhere;
      }
      dd ul {
        list-style: none;
        margin: 0;
        padding: 0;
      }
      .coming {
        display: grid;
        gap: 0.5rem;
        align-content: start;
        padding: 1.25rem;
        text-decoration: none;
        color: inherit;
        transition: border-color 0.15s, transform 0.15s;
      }
      .coming:hover {
        color: inherit;
        border-color: #f0a27a;
      }
      .coming:focus-visible {
        outline: none;
        box-shadow: 0 0 0 3px var(--hearth-accent-ring);
      }
      .coming .title {
        display: flex;
        align-items: center;
        gap: 0.55rem;
        font-weight: 650;
      }
      .coming .badge {
        display: grid;
        place-items: center;
        width: 2.2rem;
        height: 2.2rem;
        border-radius: 10px;
        background: var(--hearth-accent-soft);
        color: var(--hearth-accent);
      }
      .coming p {
        margin: 0;
        font-size: 0.92rem;
        color: var(--hearth-muted);
      }
      h2.section {
        margin: 0.5rem 0 0;
      }
    `,
  ];

  protected override render() {
    const d = this.state.device;
    const addresses = [...d.localNames].reverse();
    const coming = SECTIONS.filter((s) => s.coming);
    return html`
      ${pageHead('Dashboard', html`Welcome home${this.state.username ? html`, <strong>${this.state.username}</strong>` : ''}.`)}
      <section class="card box" aria-labelledby="box-name">
        <div class="box-head">
          <h2 id="box-name">${icon('home', 22)} ${d.name}</h2>
          <span class="status">Running</span>
        </div>
        <dl>
          <div>
            <dt>Open it from any device at</dt>
            <dd>
              <ul>
                ${addresses.map((n) => html`<li><a class="mono" href=${addressUrl(n)} target="_blank" rel="noopener">${n}</a></li>`)}
              </ul>
            </dd>
          </div>
          <div>
            <dt>Software</dt>
            <dd>Hearth ${d.version}</dd>
          </div>
          <div>
            <dt>Owner</dt>
            <dd>${this.state.username ?? ''}</dd>
          </div>
        </dl>
      </section>
      <hearth-briefing-card></hearth-briefing-card>
      ${coming.length ? html`<h2 class="section">Coming to your Hearth</h2>` : ''}
      <div class="grid">
        ${coming.map(
          (s) => html`<a class="card coming" href=${s.path}>
            <span class="title"><span class="badge">${icon(s.icon, 20)}</span>${s.label} <span class="soon">Soon</span></span>
            <p>${s.coming}</p>
          </a>`,
        )}
      </div>
    `;
  }
}
customElements.define('hearth-page-dashboard', PageDashboard);

declare global {
  interface HTMLElementTagNameMap {
    'hearth-page-dashboard': PageDashboard;
  }
}
