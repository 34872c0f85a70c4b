import { css, html } from 'lit';
import { api, type SetupState } from '../data/api.js';
import { sharesApi } from '../data/shares.js';
import { ModelStatusController, isPending, modelStatus } from '../data/model-status.js';
import { downloadText } from '../components/model-view.js';
import { FormElement, formAlert, submitButton } from '../components/form.js';
import { shared } from '../components/styles.js';
import { fire } from '../events.js';

/** Last step: a summary; "Finish" marks setup complete and opens the dashboard. */
export class StepFinish extends FormElement {
  static override properties = {
    ...FormElement.properties,
    state: { attribute: false },
    shares: { state: true },
  };
  declare state: SetupState | undefined;
  /** The shared folders' names, once known (null: not asked yet, or the answer did not come). */
  declare shares: string[] | null;
  private readonly live = new ModelStatusController(this);

  protected override sessionRequired = true;

  static override styles = [
    shared,
    css`
      dl {
        display: grid;
        grid-template-columns: minmax(6rem, max-content) 1fr;
        gap: 0.75rem 1.25rem;
        margin: 0 0 1.25rem;
        padding: 1rem 1.15rem;
        border-radius: var(--hearth-radius-sm);
        background: var(--hearth-surface-2);
        border: 1px solid var(--hearth-border);
      }
      dt {
        color: var(--hearth-muted);
        font-size: 0.92rem;
      }
      dd {
        margin: 0;
        font-weight: 600;
        min-width: 0;
        overflow-wrap: anywhere;
      }
      dd ul {
        margin: 0;
        padding: 0;
        list-style: none;
      }
      @media (max-width: 420px) {
        dl {
          grid-template-columns: 1fr;
          gap: 0.15rem;
        }
        dd + dt {
          margin-top: 0.6rem;
        }
      }
    `,
  ];

  constructor() {
    super();
    this.shares = null;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    sharesApi.list().then(
      (view) => (this.shares = view.shares.map((s) => s.name)),
      () => undefined,
    );
  }

  protected override firstUpdated(): void {
    this.renderRoot.querySelector<HTMLButtonElement>('button[type="submit"]')?.focus();
  }

  private async submit(e: Event): Promise<void> {
    e.preventDefault();
    const state = await this.run(() => api.finishSetup());
    if (state) fire(this, 'step-done', { state });
  }

  /** The model chosen a step ago: active, on its way, or none yet. */
  private modelSummary(): string {
    const { runtime, downloads } = this.live.value;
    if (runtime?.active) return modelStatus.nameOf(runtime.active);
    const pending = [...downloads.values()].find(isPending);
    if (pending) return downloadText(pending, modelStatus.nameOf(pending.id));
    return 'None yet: choose one later, on the Models page';
  }

  protected override render() {
    const device = this.state?.device;
    return html`
      <h1>You're all set</h1>
      <p class="lead">Check the details, then finish to open your Hearth's dashboard.</p>
      <dl>
        <dt>Owner</dt>
        <dd>${this.state?.username ?? ''}</dd>
        <dt>Name</dt>
        <dd>${device?.name ?? ''}</dd>
        <dt>Addresses</dt>
        <dd>
          <ul>
            ${(device?.localNames ?? []).slice().reverse().map((n) => html`<li class="mono">${n}</li>`)}
          </ul>
        </dd>
        <dt>Model</dt>
        <dd data-testid="summary-model">${this.modelSummary()}</dd>
        ${this.shares
          ? html`<dt>Shared folders</dt>
              <dd data-testid="summary-shares">${this.shares.length ? this.shares.join(', ') : 'None yet: add them later, on the Shares page'}</dd>`
          : ''}
        <dt>Version</dt>
        <dd>${device?.version ?? ''}</dd>
      </dl>
      <p class="muted small">
        ${[...this.live.value.downloads.values()].some(isPending) ? 'The model keeps downloading after you finish. ' : ''}You can rename the box or
        change the password later, in Settings.
      </p>
      <form novalidate @submit=${this.submit}>
        ${formAlert(this.formError)}
        <div class="actions">
          <button class="btn quiet" type="button" @click=${() => fire(this, 'step-back', {})}>Back</button>
          <span class="spacer"></span>
          ${submitButton('Finish', 'Finishing…', this.busy)}
        </div>
      </form>
    `;
  }
}
customElements.define('hearth-step-finish', StepFinish);

declare global {
  interface HTMLElementTagNameMap {
    'hearth-step-finish': StepFinish;
  }
}
