import { css, html, nothing } from 'lit';
import { api, toApiError, type ApiTokenView, type CreatedToken } from '../../data/api.js';
import { field, formAlert, submitButton } from '../../components/form.js';
import { formatDate } from '../../components/model-view.js';
import { icon } from '../../components/icons.js';
import { copyText } from '../../components/copy.js';
import { ModelSection } from './section.js';

/** Bearer tokens for apps on the network that use the OpenAI-compatible API: make (shown once), list, revoke. */
export class ModelsTokens extends ModelSection {
  static override properties = {
    ...ModelSection.properties,
    tokens: { state: true },
    loadError: { state: true },
    name: { state: true },
    created: { state: true },
    copied: { state: true },
  };
  declare tokens: ApiTokenView[] | null;
  declare loadError: string;
  declare name: string;
  /** The token just made: its secret is shown this once. */
  declare created: CreatedToken | null;
  declare copied: string;

  static override styles = [
    ...ModelSection.styles,
    css`
      .endpoint {
        display: grid;
        gap: 0.25rem;
        padding: 0.75rem 0.9rem;
        margin-bottom: 1.25rem;
        border-radius: var(--hearth-radius-sm);
        background: var(--hearth-surface-2);
        border: 1px solid var(--hearth-border);
        font-size: 0.92rem;
      }
      .endpoint code {
        white-space: normal;
        overflow-wrap: anywhere;
        background: none;
        border: 0;
        padding: 0;
      }
      .create-row {
        display: flex;
        flex-wrap: wrap;
        gap: 0.75rem;
        align-items: flex-end;
      }
      .create-row .field {
        flex: 1 1 14rem;
      }
      .create-row .actions {
        margin: 0;
      }
      .secret {
        display: grid;
        gap: 0.6rem;
        padding: 0.9rem 1rem;
        border-radius: var(--hearth-radius-sm);
        background: var(--hearth-ok-soft);
        border: 1px solid #abefc6;
      }
      .secret p {
        margin: 0;
      }
      .secret .copy-row {
        display: flex;
        gap: 0.5rem;
        align-items: stretch;
      }
      .secret input {
        flex: 1;
        font-family: var(--hearth-mono);
        font-size: 0.9rem;
      }
      .list {
        margin-top: 1.25rem;
      }
      .hint-code {
        font-family: var(--hearth-mono);
      }
    `,
  ];

  constructor() {
    super();
    this.fieldIds = ['token-name'];
    this.fieldAliases = { name: 'token-name' };
    this.tokens = null;
    this.loadError = '';
    this.name = '';
    this.created = null;
    this.copied = '';
  }

  override connectedCallback(): void {
    super.connectedCallback();
    void this.load();
  }

  private async load(): Promise<void> {
    try {
      this.tokens = await api.tokens();
      this.loadError = '';
    } catch (err) {
      const e = toApiError(err);
      if (!this.sessionEnded(e)) this.loadError = e.detail;
    }
  }

  private async create(e: Event): Promise<void> {
    e.preventDefault();
    const name = this.name.trim();
    if (name === '') {
      this.showFieldErrors({ 'token-name': 'Name the token after the app that will use it, like “Laptop notebook”.' });
      return;
    }
    this.copied = '';
    const created = await this.run(() => api.createToken(name));
    if (!created) return;
    this.created = created;
    this.name = '';
    await this.load();
    await this.updateComplete;
    this.renderRoot.querySelector<HTMLInputElement>('#new-token')?.focus();
  }

  private async copy(): Promise<void> {
    if (!this.created) return;
    const ok = await copyText(this.created.token, this.renderRoot.querySelector<HTMLInputElement>('#new-token'));
    this.copied = ok ? 'Copied.' : 'Could not copy: select the token and copy it yourself.';
  }

  private async revoke(t: ApiTokenView): Promise<void> {
    const done = await this.act(`revoke:${t.name}`, async () => {
      await api.revokeToken(t.name);
      return true;
    });
    if (!done) return;
    this.confirming = '';
    if (this.created?.name === t.name) this.created = null;
    await this.load();
  }

  private list() {
    if (this.loadError) return html`<p class="banner error" role="alert">${icon('alert', 18)}<span>${this.loadError}</span></p>`;
    if (!this.tokens) return html`<p class="empty" role="status">Loading tokens…</p>`;
    if (this.tokens.length === 0) return html`<p class="empty">No tokens yet.</p>`;
    return html`<ul class="rows" aria-label="Tokens">
      ${this.tokens.map(
        (t) => html`<li>
          <div class="info">
            <h3>${t.name}</h3>
            <p class="facts"><span class="hint-code">${t.hint}…</span><span>Made ${formatDate(t.createdAt)}</span></p>
          </div>
          <div class="act">
            ${this.button({ key: `ask-revoke:${t.name}`, label: 'Revoke', busyLabel: 'Revoke', forName: t.name, kind: 'quiet', onClick: () => void this.confirm(`revoke:${t.name}`) })}
          </div>
          ${this.confirmBox({
            key: `revoke:${t.name}`,
            returnTo: `ask-revoke:${t.name}`,
            text: html`Revoke <strong>${t.name}</strong>? Apps using it are refused from now on.`,
            yes: 'Revoke token',
            busyLabel: 'Revoking…',
            forName: t.name,
            onYes: () => void this.revoke(t),
          })}
        </li>`,
      )}
    </ul>`;
  }

  protected override render() {
    const base = `${location.origin}/v1`;
    return html`<section class="card" aria-labelledby="tokens-title">
      <h2 id="tokens-title">${icon('key', 20)} API access</h2>
      <p class="intro">Apps on your network can use the active model through an OpenAI-compatible API. Give each app its own token.</p>
      <div class="endpoint"><span class="muted">Base URL</span><code>${base}</code></div>
      <form novalidate @submit=${this.create}>
        ${formAlert(this.formError, 'token-form-error')}
        <div class="create-row">
          ${field({
            id: 'token-name',
            label: 'New token for',
            value: this.name,
            placeholder: 'Laptop notebook',
            autocomplete: 'off',
            maxlength: 64,
            error: this.errors['token-name'],
            onInput: (v) => {
              this.name = v;
              this.clearError('token-name');
            },
          })}
          <div class="actions">${submitButton('Create token', 'Creating…', this.busy)}</div>
        </div>
        ${this.created
          ? html`<div class="secret">
              <p><strong>Token for ${this.created.name}.</strong> Copy it now: it is not shown again.</p>
              <div class="copy-row">
                <input id="new-token" type="text" readonly .value=${this.created.token} aria-label=${`Token for ${this.created.name}`} @focus=${(e: Event) => (e.target as HTMLInputElement).select()} />
                <button class="btn secondary small" type="button" @click=${this.copy}>Copy</button>
              </div>
              <p class="small" aria-live="polite">${this.copied}</p>
              <p class="small muted">Send it as <span class="hint-code">Authorization: Bearer &lt;token&gt;</span>.</p>
            </div>`
          : nothing}
      </form>
      <div class="list">${this.list()}</div>
    </section>`;
  }
}
customElements.define('hearth-models-tokens', ModelsTokens);

declare global {
  interface HTMLElementTagNameMap {
    'hearth-models-tokens': ModelsTokens;
  }
}
