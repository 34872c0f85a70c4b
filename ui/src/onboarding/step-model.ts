import { css, html, nothing, type TemplateResult } from 'lit';
import { api, toApiError, type ApiError, type CatalogModel, type ModelsView, type SetupState } from '../data/api.js';
import { ModelStatusController, isPending, modelStatus } from '../data/model-status.js';
import { FormElement, formAlert, submitButton, stepLoadProblem } from '../components/form.js';
import { downloadText, modelFacts, modelViewStyles, verdictLine } from '../components/model-view.js';
import { shared } from '../components/styles.js';
import { icon } from '../components/icons.js';
import { fire } from '../events.js';
import '../components/model-url.js';

const DEMO_SOURCE = 'synthetic';

/**
 * Step 5: choose a model. The recommended one first, the demo always, the rest behind a
 * disclosure. Choosing starts the download and the wizard goes on: it keeps downloading in the
 * background (the pill in the footer shows it). Skipping is fine; Models has it all later.
 */
export class StepModel extends FormElement {
  static override properties = {
    ...FormElement.properties,
    state: { attribute: false },
    view: { state: true },
    loadError: { state: true },
    selected: { state: true },
    override: { state: true },
  };
  declare state: SetupState | undefined;
  declare view: ModelsView | null;
  declare loadError: ApiError | null;
  declare selected: string;
  declare override: boolean;
  private readonly live = new ModelStatusController(this);

  constructor() {
    super();
    this.focusOnShow = false;
    this.sessionRequired = true;
    this.view = null;
    this.loadError = null;
    this.selected = '';
    this.override = false;
    // A model from an address was chosen in the disclosure: that is this step done too.
    this.addEventListener('model-pulled', (e) => {
      e.stopPropagation();
      fire(this, 'step-done', {});
    });
  }

  static override styles = [
    shared,
    modelViewStyles,
    css`
      .option {
        position: relative;
        display: grid;
        grid-template-columns: auto minmax(0, 1fr);
        gap: 0.3rem 0.75rem;
        padding: 0.9rem 1rem;
        border: 1px solid var(--hearth-border-strong);
        border-radius: var(--hearth-radius-sm);
        background: var(--hearth-surface);
        transition: border-color 0.15s, box-shadow 0.15s, background 0.15s;
      }
      .option:hover {
        border-color: #b3a190;
      }
      .option:has(input:checked) {
        border-color: var(--hearth-accent);
        box-shadow: 0 0 0 1px var(--hearth-accent);
        background: #fffaf6;
      }
      .option:has(input:focus-visible) {
        box-shadow: 0 0 0 3px var(--hearth-accent-ring);
      }
      .option input {
        position: relative;
        z-index: 1;
        grid-row: 1 / span 4;
        width: 1.15rem;
        height: 1.15rem;
        margin: 0.2rem 0 0;
        accent-color: var(--hearth-accent);
      }
      .option input:focus {
        outline: none;
        box-shadow: none;
      }
      .option label {
        display: flex;
        flex-wrap: wrap;
        align-items: center;
        gap: 0.25rem 0.5rem;
        font-size: 1rem;
        cursor: pointer;
        min-width: 0;
        overflow-wrap: anywhere;
      }
      /* The whole card picks the model, not only its name. */
      .option label::after {
        content: '';
        position: absolute;
        inset: 0;
      }
      .option a {
        position: relative;
        z-index: 1;
      }
      .option .summary {
        margin: 0;
        font-size: 0.9rem;
        color: var(--hearth-muted);
      }
      .option.disabled {
        background: var(--hearth-surface-2);
      }
      .option.disabled label {
        cursor: not-allowed;
        color: var(--hearth-muted);
      }
      details.more[open] > .more-list {
        margin-top: 0.75rem;
      }
      details.more > summary {
        cursor: pointer;
        font-weight: 600;
        padding: 0.35rem 0;
        width: fit-content;
        border-radius: 6px;
      }
      details.more > summary:focus-visible {
        outline: none;
        box-shadow: 0 0 0 3px var(--hearth-accent-ring);
      }
      .more-list {
        display: grid;
        gap: 0.75rem;
      }
      .loading {
        padding: 1rem 0;
      }
      .chosen {
        align-items: center;
      }
    `,
  ];

  override connectedCallback(): void {
    super.connectedCallback();
    void this.load();
  }

  private async load(): Promise<void> {
    this.loadError = null;
    try {
      const view = await api.models();
      modelStatus.learn(view);
      this.view = view;
      this.selected = this.defaultChoice(view);
      // A choice made before (a reload, Back from Finish) may sit among the other models.
      await this.updateComplete;
      const radio = this.renderRoot.querySelector<HTMLInputElement>('input[name="model"]:checked');
      if (radio?.closest('details.more')) radio.closest('details')!.open = true;
      radio?.focus();
    } catch (err) {
      const e = toApiError(err);
      if (!this.sessionEnded(e)) this.loadError = e;
    }
  }

  /** What is already on its way here, else the recommendation, else the demo. */
  private defaultChoice(view: ModelsView): string {
    const ids = new Set(view.models.map((m) => m.id));
    const chosen = view.installed.find((m) => ids.has(m.id))?.id ?? view.downloads.find((d) => ids.has(d.id) && isPending(d))?.id;
    return chosen ?? view.recommended ?? view.models.find((m) => m.source === DEMO_SOURCE)?.id ?? view.models[0]?.id ?? '';
  }

  private get model(): CatalogModel | undefined {
    return this.view?.models.find((m) => m.id === this.selected);
  }

  private installed(id: string): boolean {
    return this.view?.installed.some((m) => m.id === id) ?? false;
  }

  /** On its way: queued, downloading or paused (a failed one is pulled again, which resumes it). */
  private onItsWay(id: string): boolean {
    const d = this.live.value.downloads.get(id);
    return d !== undefined && d.state !== 'failed' && isPending(d);
  }

  private async submit(e: Event): Promise<void> {
    e.preventDefault();
    const m = this.model;
    if (!m) {
      this.formError = 'Choose a model, or skip this step for now.';
      return;
    }
    if (this.installed(m.id) || this.onItsWay(m.id)) {
      fire(this, 'step-done', {});
      return;
    }
    const tooBig = m.verdict.verdict === 'does-not-fit';
    if (tooBig && !this.override) {
      this.formError = `${m.name} is too big for this box. Choose another model, or tick “Download anyway”.`;
      return;
    }
    const result = await this.run(() => api.pullModel({ id: m.id, override: tooBig }));
    if (!result) return;
    if (result.download) modelStatus.noteDownload(result.download, m.name);
    fire(this, 'step-done', {});
  }

  private select(id: string): void {
    this.selected = id;
    this.formError = '';
  }

  private setOverride(on: boolean): void {
    this.override = on;
    // Without the override a model that does not fit cannot stay chosen.
    if (!on && this.model?.verdict.verdict === 'does-not-fit' && this.view) this.selected = this.defaultChoice(this.view);
  }

  private option(m: CatalogModel, recommended: boolean): TemplateResult {
    const id = `model-${m.id}`;
    const tooBig = m.verdict.verdict === 'does-not-fit';
    const disabled = tooBig && !this.override && !this.installed(m.id);
    const pending = this.live.value.downloads.get(m.id);
    return html`<div class="option ${disabled ? 'disabled' : ''}">
      <input
        type="radio"
        name="model"
        id=${id}
        .value=${m.id}
        .checked=${this.selected === m.id}
        ?disabled=${disabled}
        aria-describedby="${id}-verdict ${id}-facts ${id}-summary"
        @change=${() => this.select(m.id)}
      />
      <label for=${id}
        >${m.name} ${recommended ? html`<span class="tag accent">Recommended</span>` : nothing}
        ${this.installed(m.id) ? html`<span class="tag ok">Installed</span>` : nothing}
        ${pending && isPending(pending) ? html`<span class="tag">${pending.state === 'failed' ? 'Download failed' : 'Downloading'}</span>` : nothing}</label
      >
      ${verdictLine(m.verdict, `${id}-verdict`)}
      <div id="${id}-facts">${modelFacts(m)}</div>
      <p class="summary" id="${id}-summary">${m.summary}</p>
    </div>`;
  }

  /** The model chosen before, still downloading or already in: the owner may simply continue. */
  private chosenBanner() {
    const view = this.view!;
    const installed = view.installed[0];
    if (installed) {
      return html`<p class="banner ok chosen">${icon('check', 18)}<span><strong>${installed.name}</strong> is installed on this box. Continue, or add another model.</span></p>`;
    }
    const pending = [...this.live.value.downloads.values()].find(isPending);
    if (!pending) return nothing;
    return html`<p class="banner info chosen">${icon('info', 18)}<span>${downloadText(pending, modelStatus.nameOf(pending.id))}.</span></p>`;
  }

  private submitLabel(): [string, string] {
    const m = this.model;
    if (!m || this.installed(m.id) || this.onItsWay(m.id)) return ['Continue', 'Continue'];
    if (m.source === DEMO_SOURCE) return ['Set up the demo and continue', 'Setting up…'];
    return ['Download and continue', 'Starting…'];
  }

  private body() {
    if (this.loadError) return stepLoadProblem(this.loadError.detail, () => fire(this, 'step-done', {}), () => void this.load());
    const view = this.view;
    if (!view) return html`<p class="loading" role="status"><span class="spinner" aria-hidden="true"></span>Checking which models fit this box…</p>`;
    const recommended = view.models.find((m) => m.id === view.recommended);
    const demo = view.models.find((m) => m.source === DEMO_SOURCE);
    const first = [recommended, demo].filter((m): m is CatalogModel => m !== undefined);
    // The rest, the ones that fit first, smaller before larger.
    const rank = { fits: 0, 'fits-smaller-context': 1, 'does-not-fit': 2 } as const;
    const others = view.models
      .filter((m) => !first.includes(m))
      .sort((a, b) => rank[a.verdict.verdict] - rank[b.verdict.verdict] || a.sizeBytes - b.sizeBytes);
    const anyTooBig = others.some((m) => m.verdict.verdict === 'does-not-fit');
    const [label, busyLabel] = this.submitLabel();
    return html`<form novalidate @submit=${this.submit}>
      ${formAlert(this.formError)} ${this.chosenBanner()}
      ${recommended
        ? nothing
        : html`<p class="banner info">${icon('info', 18)}<span>None of the usual models fits this box’s free memory. The demo model lets you try everything.</span></p>`}
      <fieldset>
        <legend class="visually-hidden">Choose a model</legend>
        ${first.map((m) => this.option(m, m === recommended))}
        ${others.length
          ? html`<details class="more">
              <summary>Other models (${others.length})</summary>
              <div class="more-list">
                ${others.map((m) => this.option(m, false))}
                ${anyTooBig
                  ? html`<label class="check"
                      ><input type="checkbox" .checked=${this.override} @change=${(e: Event) => this.setOverride((e.target as HTMLInputElement).checked)} />
                      Download anyway (it will not be loaded on this box)</label
                    >`
                  : nothing}
              </div>
            </details>`
          : nothing}
      </fieldset>
      <hearth-model-url></hearth-model-url>
      <p class="muted small">Memory figures are estimates. You can add, switch or remove models later, on the Models page.</p>
      <div class="actions">
        <button class="btn quiet" type="button" @click=${() => fire(this, 'step-back', {})}>Back</button>
        <span class="spacer"></span>
        <button class="btn quiet" type="button" ?disabled=${this.busy} @click=${() => fire(this, 'step-done', {})}>Skip for now</button>
        ${submitButton(label, busyLabel, this.busy)}
      </div>
    </form>`;
  }

  protected override render() {
    return html`
      <h1>Choose a model</h1>
      <p class="lead">The model is the AI that runs on this box. Pick one and it downloads in the background while you finish setting up.</p>
      ${this.body()}
    `;
  }
}
customElements.define('hearth-step-model', StepModel);

declare global {
  interface HTMLElementTagNameMap {
    'hearth-step-model': StepModel;
  }
}
