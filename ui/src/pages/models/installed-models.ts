import { html, nothing } from 'lit';
import { api, type InstalledModel } from '../../data/api.js';
import { formAlert } from '../../components/form.js';
import { formatBytes, formatDate } from '../../components/model-view.js';
import { icon } from '../../components/icons.js';
import { ModelSection } from './section.js';

/** Where an installed model came from, in words. */
function origin(m: InstalledModel): string {
  if (m.source === 'synthetic') return 'made on this box';
  if (m.source.startsWith('file:')) return 'added from a file on the box';
  try {
    return `from ${new URL(m.source).hostname}`;
  } catch {
    return m.source;
  }
}

/** Models on the box: which one is active, "Use" another, "Remove" one (asks first). */
export class ModelsInstalled extends ModelSection {
  static override properties = {
    ...ModelSection.properties,
    installed: { attribute: false },
    active: {},
  };
  declare installed: InstalledModel[];
  declare active: string | null;

  constructor() {
    super();
    this.installed = [];
    this.active = null;
  }

  private row(m: InstalledModel) {
    const isActive = m.id === this.active;
    return html`<li data-model=${m.id}>
      <div class="info">
        <h3>${m.name} ${isActive ? html`<span class="tag ok">Active</span>` : nothing}</h3>
        <p class="facts"><span>${formatBytes(m.sizeBytes)}</span><span>Added ${formatDate(m.addedAt)}, ${origin(m)}</span></p>
      </div>
      <div class="act">
        ${isActive
          ? nothing
          : this.button({ key: `use:${m.id}`, label: 'Use', busyLabel: 'Switching…', forName: m.name, kind: 'primary', onClick: () => void this.act(`use:${m.id}`, () => api.useModel(m.id)) })}
        ${this.button({ key: `ask-remove:${m.id}`, label: 'Remove', busyLabel: 'Remove', forName: m.name, kind: 'quiet', onClick: () => void this.confirm(`remove:${m.id}`) })}
      </div>
      ${this.confirmBox({
        key: `remove:${m.id}`,
        returnTo: `ask-remove:${m.id}`,
        text: html`Remove <strong>${m.name}</strong>? Its ${formatBytes(m.sizeBytes)} file is deleted from the box${isActive ? ', and nothing answers until you choose another model' : ''}.`,
        yes: 'Remove model',
        busyLabel: 'Removing…',
        forName: m.name,
        onYes: () => void this.act(`remove:${m.id}`, () => api.removeModel(m.id)).then(() => (this.confirming = '')),
      })}
    </li>`;
  }

  protected override render() {
    return html`<section class="card" aria-labelledby="installed-title">
      <h2 id="installed-title">${icon('folder', 20)} On this box</h2>
      ${formAlert(this.formError, 'installed-error')}
      ${this.installed.length
        ? html`<ul class="rows">
            ${this.installed.map((m) => this.row(m))}
          </ul>`
        : html`<p class="empty">No models yet. Download one from the list below.</p>`}
    </section>`;
  }
}
customElements.define('hearth-models-installed', ModelsInstalled);

declare global {
  interface HTMLElementTagNameMap {
    'hearth-models-installed': ModelsInstalled;
  }
}
