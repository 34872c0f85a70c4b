import { LitElement, css, html } from 'lit';
import { shared } from '../components/styles.js';
import { icon, type IconName } from '../components/icons.js';
import { fire } from '../events.js';

const points: { icon: IconName; title: string; text: string }[] = [
  { icon: 'lock', title: 'Private by design', text: 'The AI model runs on this box. Your documents and questions stay at home.' },
  { icon: 'clock', title: 'Always on', text: 'Agents read what lands in your shared folders and work on schedules, day and night.' },
  { icon: 'key', title: 'Yours alone', text: 'You claim the box with the code shown on it, so nobody else on your network can.' },
];

/** Step 1: what Hearth is, and "Get started". */
export class StepWelcome extends LitElement {
  static override styles = [
    shared,
    css`
      ul {
        list-style: none;
        margin: 1.5rem 0;
        padding: 0;
        display: grid;
        gap: 1rem;
      }
      li {
        display: flex;
        gap: 0.85rem;
        align-items: flex-start;
      }
      .badge {
        flex: none;
        display: grid;
        place-items: center;
        width: 2.4rem;
        height: 2.4rem;
        border-radius: 12px;
        background: var(--hearth-accent-soft);
        color: var(--hearth-accent);
      }
      li strong {
        display: block;
      }
      li span {
        color: var(--hearth-muted);
        font-size: 0.95rem;
      }
    `,
  ];

  protected override firstUpdated(): void {
    this.renderRoot.querySelector<HTMLButtonElement>('button')?.focus();
  }

  protected override render() {
    return html`
      <h1>Welcome to Hearth</h1>
      <p class="lead">Hearth turns this box into your own AI, running at home around the clock, like a router or a NAS.</p>
      <ul>
        ${points.map(
          (p) => html`<li>
            <span class="badge">${icon(p.icon, 22)}</span>
            <div><strong>${p.title}</strong><span>${p.text}</span></div>
          </li>`,
        )}
      </ul>
      <p class="muted small">Setting up takes a couple of minutes. Keep the box's setup code at hand.</p>
      <div class="actions">
        <button class="btn primary" type="button" @click=${() => fire(this, 'step-done', {})}>
          Get started ${icon('arrow', 18)}
        </button>
      </div>
    `;
  }
}
customElements.define('hearth-step-welcome', StepWelcome);

declare global {
  interface HTMLElementTagNameMap {
    'hearth-step-welcome': StepWelcome;
  }
}
