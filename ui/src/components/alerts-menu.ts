import { LitElement, css, html, nothing, type TemplateResult } from 'lit';
import { toApiError } from '../data/api.js';
import { alertsStore, type Alert } from '../data/telemetry.js';
import { agoText, whenText } from './agent-view.js';
import { icon } from './icons.js';
import { modelViewStyles } from './model-view.js';
import { shareViewStyles } from './share-view.js';
import { shared } from './styles.js';

/** Resolved and dismissed alerts shown under the active ones. */
const RECENT_SHOWN = 5;

const KIND_TEXT: Record<Alert['kind'], string> = {
  temperature: 'Temperature',
  disk: 'Disk',
  'worker-crashes': 'Model worker',
  'sensor-missing': 'Sensor',
};

/** Re-renders its host whenever the alerts change, while the host is connected. */
class AlertsWatcher {
  private unsubscribe: (() => void) | null = null;
  constructor(private readonly host: LitElement) {
    host.addController({
      hostConnected: () => (this.unsubscribe = alertsStore.subscribe(() => this.host.requestUpdate())),
      hostDisconnected: () => {
        this.unsubscribe?.();
        this.unsubscribe = null;
      },
    });
  }
}

/** Shared by the bell's list and the banner: dismissing an alert, with what went wrong. */
async function dismiss(host: { dismissError: string }, id: string): Promise<void> {
  try {
    host.dismissError = '';
    await alertsStore.dismiss(id);
  } catch (err) {
    host.dismissError = toApiError(err).detail;
  }
}

/**
 * The notification area in the top bar: a bell with the number of active alerts (hot, disk nearly full,
 * the model worker crashing, a sensor gone), and a list of them to dismiss, with the recent ones under it.
 */
export class AlertsMenu extends LitElement {
  static override properties = {
    open: { state: true },
    dismissError: { state: true },
  };
  declare open: boolean;
  declare dismissError: string;

  constructor() {
    super();
    this.open = false;
    this.dismissError = '';
    new AlertsWatcher(this);
  }

  static override styles = [
    shared,
    modelViewStyles,
    shareViewStyles,
    css`
      :host {
        position: relative;
        display: block;
      }
      .bell {
        position: relative;
        min-height: 2.5rem;
        min-width: 2.5rem;
        padding: 0.4rem;
      }
      .count {
        position: absolute;
        top: 0.05rem;
        right: 0.05rem;
        min-width: 1.2rem;
        height: 1.2rem;
        padding: 0 0.3rem;
        border-radius: 999px;
        background: #b54708;
        color: #fff;
        font-size: 0.72rem;
        font-weight: 700;
        line-height: 1.2rem;
        text-align: center;
        font-variant-numeric: tabular-nums;
      }
      .count.critical {
        background: var(--hearth-error);
      }
      .panel {
        position: absolute;
        top: calc(100% + 0.5rem);
        right: 0;
        z-index: 20;
        width: min(24rem, calc(100vw - 1rem));
        max-height: min(32rem, calc(100dvh - 6rem));
        overflow-y: auto;
        display: grid;
        gap: 0.75rem;
        padding: 1rem;
        background: var(--hearth-surface);
        border: 1px solid var(--hearth-border);
        border-radius: var(--hearth-radius);
        box-shadow: 0 16px 32px rgba(72, 44, 20, 0.18);
      }
      @media (max-width: 520px) {
        .panel {
          position: fixed;
          top: var(--header-height, 4rem);
          left: 0.5rem;
          right: 0.5rem;
          width: auto;
        }
      }
      .panel h2 {
        margin: 0;
        font-size: 1rem;
      }
      .panel h3 {
        margin: 0.25rem 0 0;
        font-size: 0.8rem;
        text-transform: uppercase;
        letter-spacing: 0.04em;
        color: var(--hearth-muted);
      }
      ul {
        list-style: none;
        margin: 0;
        padding: 0;
        display: grid;
        gap: 0.5rem;
      }
      li {
        display: grid;
        gap: 0.35rem;
        padding: 0.7rem 0.8rem;
        border-radius: var(--hearth-radius-sm);
        border: 1px solid var(--hearth-border);
        background: var(--hearth-surface-2);
      }
      li.critical {
        background: var(--hearth-error-soft);
        border-color: #fecdca;
      }
      li.warning {
        background: #fffaeb;
        border-color: #fedf89;
      }
      li.past {
        background: transparent;
      }
      .meta {
        display: flex;
        flex-wrap: wrap;
        align-items: center;
        gap: 0.25rem 0.5rem;
        font-size: 0.8rem;
        color: var(--hearth-muted);
      }
      .message {
        margin: 0;
        font-size: 0.92rem;
        overflow-wrap: anywhere;
      }
      li.past .message {
        color: var(--hearth-muted);
      }
      li .btn {
        justify-self: start;
      }
      .none {
        margin: 0;
        font-size: 0.92rem;
        color: var(--hearth-muted);
      }
    `,
  ];

  private readonly onDocumentClick = (e: MouseEvent) => {
    if (this.open && !e.composedPath().includes(this)) this.open = false;
  };

  override connectedCallback(): void {
    super.connectedCallback();
    document.addEventListener('click', this.onDocumentClick);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    document.removeEventListener('click', this.onDocumentClick);
  }

  private onKeydown(e: KeyboardEvent): void {
    if (e.key !== 'Escape' || !this.open) return;
    this.open = false;
    this.renderRoot.querySelector<HTMLElement>('.bell')?.focus();
  }

  private toggle(): void {
    this.open = !this.open;
    if (this.open) void alertsStore.refresh();
  }

  private item(a: Alert, past: boolean): TemplateResult {
    const tone = a.severity === 'critical' ? 'bad' : 'warn';
    const ended = a.resolvedAt ? `resolved ${agoText(a.resolvedAt)}` : a.dismissedAt ? `dismissed ${agoText(a.dismissedAt)}` : '';
    return html`<li class=${past ? 'past' : a.severity} data-alert=${a.id}>
      <span class="meta"
        ><span class="tag ${past ? '' : tone}">${a.severity}</span> ${KIND_TEXT[a.kind] ?? a.kind} ·
        <span title=${whenText(a.since)}>since ${agoText(a.since)}</span>${ended ? html` · ${ended}` : nothing}</span
      >
      <p class="message">${a.message}</p>
      ${past ? nothing : html`<button class="btn secondary small" type="button" @click=${() => void dismiss(this, a.id)}>Dismiss</button>`}
    </li>`;
  }

  protected override render() {
    const view = alertsStore.view;
    const active = view?.active ?? [];
    const recent = (view?.recent ?? []).slice(0, RECENT_SHOWN);
    const critical = active.some((a) => a.severity === 'critical');
    const label = active.length ? `Alerts: ${active.length} active` : 'Alerts: none';
    return html`<div @keydown=${this.onKeydown}>
      <button
        class="btn quiet bell"
        type="button"
        aria-label=${label}
        aria-expanded=${this.open ? 'true' : 'false'}
        aria-controls="alerts-panel"
        data-testid="alerts-bell"
        @click=${this.toggle}
      >
        ${icon('bell', 22)} ${active.length ? html`<span class="count ${critical ? 'critical' : ''}" aria-hidden="true">${active.length}</span>` : nothing}
      </button>
      ${this.open
        ? html`<div class="panel" id="alerts-panel" role="region" aria-label="Alerts">
            <h2>Alerts</h2>
            ${this.dismissError ? html`<p class="banner error" role="alert">${icon('alert', 18)}<span>${this.dismissError}</span></p>` : nothing}
            ${!view
              ? html`<p class="none">Alerts could not be read yet.</p>`
              : active.length
                ? html`<ul aria-label="Active alerts">
                    ${active.map((a) => this.item(a, false))}
                  </ul>`
                : html`<p class="none">No alerts. Hearth tells you here when it runs hot, the disk nearly fills up, the model keeps crashing or a sensor stops reporting.</p>`}
            ${recent.length
              ? html`<h3>Recent</h3>
                  <ul aria-label="Recent alerts">
                    ${recent.map((a) => this.item(a, true))}
                  </ul>`
              : nothing}
          </div>`
        : nothing}
    </div>`;
  }
}
customElements.define('hearth-alerts-menu', AlertsMenu);

/** Active critical alerts as a banner over every page, until dismissed or resolved. */
export class AlertBanner extends LitElement {
  static override properties = { dismissError: { state: true } };
  declare dismissError: string;

  constructor() {
    super();
    this.dismissError = '';
    new AlertsWatcher(this);
  }

  static override styles = [
    shared,
    css`
      :host {
        display: grid;
        gap: 0.5rem;
      }
      :host([hidden]) {
        display: none;
      }
      .banner {
        align-items: center;
        flex-wrap: wrap;
      }
      .banner span {
        flex: 1 1 14rem;
        min-width: 0;
        overflow-wrap: anywhere;
      }
      .banner strong {
        display: block;
      }
    `,
  ];

  protected override render() {
    const critical = (alertsStore.view?.active ?? []).filter((a) => a.severity === 'critical');
    this.hidden = critical.length === 0 && !this.dismissError;
    return html`${critical.map(
      (a) => html`<p class="banner error" role="alert" data-testid="critical-alert" data-alert=${a.id}>
        ${icon('alert', 20)}<span><strong>Critical</strong>${a.message}</span>
        <button class="btn secondary small" type="button" @click=${() => void dismiss(this, a.id)}>Dismiss</button>
      </p>`,
    )}
    ${this.dismissError ? html`<p class="banner error">${icon('alert', 18)}<span>${this.dismissError}</span></p>` : nothing}`;
  }
}
customElements.define('hearth-alert-banner', AlertBanner);

declare global {
  interface HTMLElementTagNameMap {
    'hearth-alerts-menu': AlertsMenu;
    'hearth-alert-banner': AlertBanner;
  }
}
