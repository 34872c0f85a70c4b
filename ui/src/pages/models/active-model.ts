import { css, html, nothing, type PropertyValues } from 'lit';
import { api, type InstalledModel, type ModelRuntime } from '../../data/api.js';
import { field, formAlert, formStatus, submitButton } from '../../components/form.js';
import { formatDuration, workerText } from '../../components/model-view.js';
import { icon } from '../../components/icons.js';
import { fire } from '../../events.js';
import { ModelSection } from './section.js';

/** The active model, the inference worker's state (loaded, loading, crashes) and the keep-alive setting. */
export class ModelsActive extends ModelSection {
  static override properties = {
    ...ModelSection.properties,
    runtime: { attribute: false },
    model: { attribute: false },
    keepAliveMinutes: { type: Number },
    minutes: { state: true },
    saved: { state: true },
  };
  declare runtime: ModelRuntime;
  declare model: InstalledModel | null;
  /** The saved setting. */
  declare keepAliveMinutes: number;
  /** What is typed. */
  declare minutes: string;
  declare saved: string;

  static override styles = [
    ...ModelSection.styles,
    css`
      .head {
        display: flex;
        flex-wrap: wrap;
        align-items: center;
        justify-content: space-between;
        gap: 0.5rem 1rem;
        margin-bottom: 1rem;
      }
      .name {
        font-size: 1.2rem;
        font-weight: 700;
        overflow-wrap: anywhere;
        min-width: 0;
      }
      .state {
        display: inline-flex;
        align-items: center;
        gap: 0.45rem;
        font-size: 0.9rem;
        font-weight: 600;
        padding: 0.2rem 0.7rem;
        border-radius: 999px;
        border: 1px solid var(--hearth-border);
        background: var(--hearth-surface-2);
        color: var(--hearth-muted);
      }
      .state::before {
        content: '';
        width: 0.5rem;
        height: 0.5rem;
        border-radius: 50%;
        background: currentColor;
      }
      .state.ok {
        color: var(--hearth-ok);
        background: var(--hearth-ok-soft);
        border-color: #abefc6;
      }
      .state.busy {
        color: #7c2d12;
        background: var(--hearth-accent-soft);
        border-color: #fed7aa;
      }
      .state.bad {
        color: var(--hearth-error);
        background: var(--hearth-error-soft);
        border-color: #fecdca;
      }
      dl {
        display: grid;
        grid-template-columns: repeat(auto-fit, minmax(min(100%, 8.5rem), 1fr));
        gap: 0.75rem 1.25rem;
        margin: 0 0 1rem;
      }
      dt {
        font-size: 0.82rem;
        color: var(--hearth-muted);
      }
      dd {
        margin: 0;
        font-weight: 600;
      }
      .keep {
        margin-top: 1.25rem;
        padding-top: 1.25rem;
        border-top: 1px solid var(--hearth-border);
      }
      .keep-row {
        display: flex;
        flex-wrap: wrap;
        align-items: flex-end;
        gap: 0.75rem;
      }
      .keep-row .field {
        flex: 0 1 18rem;
      }
      .keep-row .actions {
        margin: 0;
      }
    `,
  ];

  constructor() {
    super();
    this.fieldIds = ['keep-alive'];
    this.fieldAliases = { keepAliveMinutes: 'keep-alive' };
    this.model = null;
    this.keepAliveMinutes = 10;
    this.minutes = '';
    this.saved = '';
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('keepAliveMinutes') && (this.minutes === '' || changed.get('keepAliveMinutes') !== undefined)) {
      this.minutes = String(this.keepAliveMinutes);
    }
  }

  private async save(e: Event): Promise<void> {
    e.preventDefault();
    this.saved = '';
    const typed = this.minutes.trim();
    const n = Number(typed);
    if (typed === '' || !Number.isInteger(n) || n < 0 || n > 1440) {
      this.showFieldErrors({ 'keep-alive': 'Enter whole minutes from 0 (always loaded) to 1440 (a day).' });
      return;
    }
    const r = await this.run(() => api.setKeepAlive(n));
    if (!r) return;
    this.minutes = String(r.keepAliveMinutes);
    this.saved = r.keepAliveMinutes === 0 ? 'Saved. The model stays loaded.' : `Saved. The model unloads after ${r.keepAliveMinutes} idle minutes.`;
    fire(this, 'models-changed', {});
  }

  private details() {
    const w = this.runtime.worker;
    const loaded = w.loaded;
    return html`${loaded
        ? html`<dl>
            <div><dt>Memory (context)</dt><dd>${loaded.contextSize} tokens</dd></div>
            <div><dt>Threads</dt><dd>${loaded.threads}</dd></div>
            <div><dt>Parallel answers</dt><dd>${loaded.sequences}</dd></div>
            <div><dt>Loaded in</dt><dd>${loaded.loadMs < 10_000 ? `${(loaded.loadMs / 1000).toFixed(1)} s` : formatDuration(loaded.loadMs / 1000)}</dd></div>
          </dl>`
        : nothing}
      ${w.crashes > 0
        ? html`<p class="banner error">
            ${icon('alert', 18)}<span
              >The model process stopped unexpectedly ${w.crashes === 1 ? 'once' : `${w.crashes} times`}; Hearth restarted it.
              ${w.lastCrash ? html`Last time, ${new Date(w.lastCrash.at).toLocaleString()}: ${w.lastCrash.detail}` : nothing}</span
            >
          </p>`
        : nothing}`;
  }

  protected override render() {
    const active = this.model;
    const state = workerText(this.runtime.worker, active !== null);
    return html`<section class="card" aria-labelledby="active-title">
      <h2 id="active-title">${icon('model', 20)} Active model</h2>
      ${active
        ? html`<div class="head">
              <span class="name" data-testid="active-model">${active.name}</span>
              <span class="state ${state.tone}" data-testid="worker-state">${state.label}</span>
            </div>
            ${this.details()}`
        : html`<p class="empty">No model is active yet. Download one below, or use one that is installed.</p>`}
      <form class="keep" novalidate @submit=${this.save}>
        ${formAlert(this.formError, 'keep-alive-form-error')}
        <div class="keep-row">
          ${field({
            id: 'keep-alive',
            label: 'Keep loaded after use (minutes)',
            type: 'number',
            inputmode: 'numeric',
            min: 0,
            max: 1440,
            value: this.minutes,
            describedBy: 'keep-alive-note',
            error: this.errors['keep-alive'],
            onInput: (v) => {
              this.minutes = v;
              this.saved = '';
              this.clearError('keep-alive');
            },
          })}
          <div class="actions">${submitButton('Save', 'Saving…', this.busy)}</div>
        </div>
        <p class="hint" id="keep-alive-note">0 keeps the model loaded all the time: answers start at once, and its memory stays taken.</p>
        ${formStatus(this.saved)}
      </form>
    </section>`;
  }
}
customElements.define('hearth-models-active', ModelsActive);

declare global {
  interface HTMLElementTagNameMap {
    'hearth-models-active': ModelsActive;
  }
}
