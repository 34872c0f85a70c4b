import { css, html, nothing } from 'lit';
import { api, type FitVerdict } from '../data/api.js';
import { modelStatus } from '../data/model-status.js';
import { fire } from '../events.js';
import { FormElement, field, formAlert, submitButton } from './form.js';
import { formatBytes, modelViewStyles, verdictLine } from './model-view.js';
import { shared } from './styles.js';

/**
 * "Use a model from another address": paste an https link to a .gguf file, check it (Hearth
 * reads its header: nothing is downloaded yet), see the verdict, then download it.
 * Reports `model-pulled` upward; used by the wizard's model step and the Models page.
 */
export class ModelUrl extends FormElement {
  static override properties = {
    ...FormElement.properties,
    url: { state: true },
    verdict: { state: true },
    checkedUrl: { state: true },
    override: { state: true },
    allowUnverified: { state: true },
  };
  declare url: string;
  declare verdict: FitVerdict | null;
  /** The address the verdict is for: editing the field asks for a new check. */
  declare checkedUrl: string;
  declare override: boolean;
  declare allowUnverified: boolean;

  static override styles = [
    shared,
    modelViewStyles,
    css`
      details {
        border: 1px solid var(--hearth-border);
        border-radius: var(--hearth-radius-sm);
        background: var(--hearth-surface);
      }
      summary {
        cursor: pointer;
        padding: 0.75rem 1rem;
        font-weight: 600;
        border-radius: var(--hearth-radius-sm);
      }
      summary:focus-visible {
        outline: none;
        box-shadow: 0 0 0 3px var(--hearth-accent-ring);
      }
      form {
        padding: 0.25rem 1rem 1rem;
        gap: 0.9rem;
      }
      .result {
        display: grid;
        gap: 0.35rem;
        padding: 0.75rem 0.9rem;
        border-radius: var(--hearth-radius-sm);
        background: var(--hearth-surface-2);
        border: 1px solid var(--hearth-border);
      }
      .result p {
        margin: 0;
      }
      .result:focus {
        outline: none;
      }
      .result .name {
        font-weight: 650;
        overflow-wrap: anywhere;
      }
      .actions {
        margin-top: 0;
      }
    `,
  ];

  constructor() {
    super();
    this.fieldIds = ['url'];
    this.focusOnShow = false;
    this.sessionRequired = true;
    this.url = '';
    this.verdict = null;
    this.checkedUrl = '';
    this.override = false;
    this.allowUnverified = false;
  }

  private get checked(): boolean {
    return this.verdict !== null && this.checkedUrl === this.url.trim();
  }

  private onUrl(value: string): void {
    this.url = value;
    this.clearError('url');
    this.formError = '';
  }

  private async submit(e: Event): Promise<void> {
    e.preventDefault();
    const url = this.url.trim();
    if (url === '') {
      this.showFieldErrors({ url: 'Paste the https address of a .gguf file.' });
      return;
    }
    if (!/^https?:\/\//i.test(url)) {
      this.showFieldErrors({ url: 'The address starts with https://, like https://huggingface.co/…/resolve/main/model.gguf.' });
      return;
    }
    // Enter in the field checks first, and downloads once the verdict for this address is shown.
    if (!this.checked) {
      const verdict = await this.run(() => api.checkModelUrl(url));
      if (!verdict) return;
      this.verdict = verdict;
      this.checkedUrl = url;
      this.override = false;
      await this.updateComplete;
      this.renderRoot.querySelector<HTMLElement>('.result')?.focus();
      return;
    }
    const verdict = this.verdict!;
    if (verdict.verdict === 'does-not-fit' && !this.override) {
      this.formError = `${verdict.name} is too big for this box. Tick “Download anyway” to download it all the same.`;
      return;
    }
    const result = await this.run(() =>
      api.pullModel({ url, override: verdict.verdict === 'does-not-fit', allowUnverified: this.allowUnverified }),
    );
    if (!result) return;
    if (result.download) modelStatus.noteDownload(result.download, verdict.name);
    this.url = '';
    this.verdict = null;
    this.checkedUrl = '';
    fire(this, 'model-pulled', { result, name: verdict.name });
  }

  protected override render() {
    const verdict = this.checked ? this.verdict : null;
    const tooBig = verdict?.verdict === 'does-not-fit';
    return html`<details>
      <summary>Use a model from another address</summary>
      <form novalidate @submit=${this.submit}>
        ${formAlert(this.formError, 'url-form-error')}
        ${field({
          id: 'url',
          label: 'Address of a .gguf file',
          value: this.url,
          placeholder: 'https://huggingface.co/…/resolve/main/model.gguf',
          plain: true,
          autocomplete: 'off',
          hint: 'Hearth reads the file’s header first to see whether it fits. Nothing is downloaded until you say so.',
          error: this.errors.url,
          onInput: (v) => this.onUrl(v),
        })}
        ${verdict
          ? html`<div class="result" tabindex="-1" role="status">
              <p class="name">${verdict.name}</p>
              ${verdictLine(verdict)}
              <p class="small muted">About ${formatBytes(verdict.need.weightsBytes)} of weights, for a ${verdict.contextSize}-token context.</p>
            </div>`
          : nothing}
        ${tooBig
          ? html`<label class="check"
              ><input type="checkbox" .checked=${this.override} @change=${(e: Event) => (this.override = (e.target as HTMLInputElement).checked)} />
              Download anyway (it will not be loaded on this box)</label
            >`
          : nothing}
        ${verdict
          ? html`<label class="check"
              ><input
                type="checkbox"
                .checked=${this.allowUnverified}
                @change=${(e: Event) => (this.allowUnverified = (e.target as HTMLInputElement).checked)}
              />
              Accept the file even if its publisher gives no checksum</label
            >`
          : nothing}
        <div class="actions">
          ${verdict
            ? submitButton('Download this model', 'Starting…', this.busy, tooBig && !this.override)
            : html`<button class="btn secondary" type="submit" ?disabled=${this.busy} aria-busy=${this.busy ? 'true' : 'false'}>
                ${this.busy ? html`<span class="spinner" aria-hidden="true"></span>Checking…` : 'Check'}
              </button>`}
        </div>
      </form>
    </details>`;
  }
}
customElements.define('hearth-model-url', ModelUrl);

declare global {
  interface HTMLElementTagNameMap {
    'hearth-model-url': ModelUrl;
  }
}
