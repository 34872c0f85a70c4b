import { css, html, nothing } from 'lit';
import { sharesApi, type AgentAccess, type ProposedShare } from '../../data/shares.js';
import { field, formAlert, formStatus, submitButton } from '../../components/form.js';
import { AGENT_ACCESS, agentsText } from '../../components/share-view.js';
import { icon } from '../../components/icons.js';
import { fire } from '../../events.js';
import { ShareSection } from './section.js';

/** Add a share: a new folder Hearth makes, or a folder already on the box (a USB disk); and the proposed ones in one click. */
export class ShareAdd extends ShareSection {
  static override properties = {
    ...ShareSection.properties,
    proposed: { attribute: false },
    name: { state: true },
    description: { state: true },
    path: { state: true },
    agents: { state: true },
    network: { state: true },
    readOnly: { state: true },
    saved: { state: true },
  };
  declare proposed: ProposedShare[];
  declare name: string;
  declare description: string;
  declare path: string;
  declare agents: AgentAccess;
  declare network: boolean;
  declare readOnly: boolean;
  declare saved: string;

  static override styles = [
    ...ShareSection.styles,
    css`
      .two {
        display: grid;
        grid-template-columns: repeat(auto-fit, minmax(min(100%, 16rem), 1fr));
        gap: 1.15rem;
        align-items: start;
      }
      .checks {
        display: flex;
        flex-wrap: wrap;
        gap: 0.5rem 1.5rem;
      }
      .proposed {
        display: flex;
        flex-wrap: wrap;
        gap: 0.5rem;
        align-items: center;
        margin-bottom: 1.25rem;
      }
      .proposed p {
        margin: 0;
      }
    `,
  ];

  constructor() {
    super();
    this.fieldIds = ['share-name', 'share-description', 'share-path', 'share-agents'];
    this.fieldAliases = { name: 'share-name', description: 'share-description', path: 'share-path', agents: 'share-agents' };
    this.proposed = [];
    this.reset();
    this.saved = '';
  }

  private reset(): void {
    this.name = '';
    this.description = '';
    this.path = '';
    this.agents = 'none';
    this.network = true;
    this.readOnly = false;
  }

  private async submit(e: Event): Promise<void> {
    e.preventDefault();
    const name = this.name.trim();
    if (name === '') {
      this.showFieldErrors({ 'share-name': 'Name the share, like “Scans” or “Photos”.' });
      return;
    }
    this.saved = '';
    const path = this.path.trim();
    const created = await this.run(() =>
      sharesApi.create({
        name,
        description: this.description.trim(),
        ...(path ? { path } : {}),
        network: this.network,
        readOnly: this.readOnly,
        agents: this.agents,
      }),
    );
    if (!created) return;
    this.reset();
    this.saved = `Added ${created.name}.`;
    fire(this, 'shares-changed', {});
  }

  private addProposed(p: ProposedShare): void {
    this.saved = '';
    void this.act(`add:${p.name}`, () => sharesApi.create({ ...p })).then((created) => {
      if (created) this.saved = `Added ${created.name}.`;
    });
  }

  protected override render() {
    return html`<section class="card" aria-labelledby="add-title">
      <h2 id="add-title">${icon('folder', 20)} Add a share</h2>
      ${this.proposed.length
        ? html`<div class="proposed">
            <p class="muted small">Suggested:</p>
            ${this.proposed.map((p) =>
              this.button({
                key: `add:${p.name}`,
                label: `Add ${p.name}`,
                busyLabel: 'Adding…',
                forName: `(${agentsText(p.agents).toLowerCase()})`,
                onClick: () => this.addProposed(p),
              }),
            )}
          </div>`
        : nothing}
      <form novalidate @submit=${this.submit}>
        ${formAlert(this.formError, 'add-error')} ${formStatus(this.saved)}
        <div class="two">
          ${field({
            id: 'share-name',
            label: 'Name',
            value: this.name,
            placeholder: 'Scans',
            autocomplete: 'off',
            maxlength: 80,
            hint: 'Computers show this name. Letters, digits, spaces, dashes.',
            error: this.errors['share-name'],
            onInput: this.setter('name', 'share-name'),
          })}
          ${field({
            id: 'share-description',
            label: html`Description <span class="optional">(optional)</span>`,
            value: this.description,
            autocomplete: 'off',
            maxlength: 200,
            error: this.errors['share-description'],
            onInput: this.setter('description', 'share-description'),
          })}
        </div>
        ${field({
          id: 'share-path',
          label: html`Existing folder on the box <span class="optional">(optional)</span>`,
          value: this.path,
          placeholder: '/media/usb-disk/Photos',
          plain: true,
          autocomplete: 'off',
          inputClass: 'mono',
          hint: 'Leave empty and Hearth makes a new folder. Or share a folder already on the box, like a USB disk.',
          error: this.errors['share-path'],
          onInput: this.setter('path', 'share-path'),
        })}
        <div class="field">
          <label for="share-agents">Agents</label>
          <select id="share-agents" .value=${this.agents} @change=${(e: Event) => (this.agents = (e.target as HTMLSelectElement).value as AgentAccess)}>
            ${AGENT_ACCESS.map((a) => html`<option value=${a.value} ?selected=${a.value === this.agents}>${a.text}</option>`)}
          </select>
        </div>
        <div class="checks">
          <label class="check"
            ><input type="checkbox" .checked=${this.network} @change=${(e: Event) => (this.network = (e.target as HTMLInputElement).checked)} /> Share on the
            network</label
          >
          <label class="check"
            ><input
              type="checkbox"
              .checked=${this.readOnly}
              ?disabled=${!this.network}
              @change=${(e: Event) => (this.readOnly = (e.target as HTMLInputElement).checked)}
            />
            Read-only for computers</label
          >
        </div>
        <div class="actions">${submitButton('Add share', 'Adding…', this.busy)}</div>
      </form>
    </section>`;
  }
}
customElements.define('hearth-share-add', ShareAdd);

declare global {
  interface HTMLElementTagNameMap {
    'hearth-share-add': ShareAdd;
  }
}
