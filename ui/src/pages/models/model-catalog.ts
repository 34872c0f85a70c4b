import { css, html, nothing } from 'lit';
import { api, type CatalogModel, type DownloadStatus, type InstalledModel } from '../../data/api.js';
import { isPending, modelStatus } from '../../data/model-status.js';
import { formAlert } from '../../components/form.js';
import { modelFacts, percentOf, verdictLine } from '../../components/model-view.js';
import { icon } from '../../components/icons.js';
import { ModelSection } from './section.js';
import '../../components/model-url.js';

/** The catalog with each model's verdict for this box, a download button each, and any https address. */
export class ModelsCatalog extends ModelSection {
  static override properties = {
    ...ModelSection.properties,
    models: { attribute: false },
    recommended: {},
    installed: { attribute: false },
    downloads: { attribute: false },
    override: { state: true },
  };
  declare models: CatalogModel[];
  declare recommended: string | null;
  declare installed: InstalledModel[];
  declare downloads: ReadonlyMap<string, DownloadStatus>;
  declare override: boolean;

  static override styles = [
    ...ModelSection.styles,
    css`
      details.too-big {
        margin-top: 1rem;
        border-top: 1px solid var(--hearth-border);
        padding-top: 1rem;
      }
      details.too-big > summary {
        cursor: pointer;
        font-weight: 600;
        width: fit-content;
        border-radius: 6px;
      }
      details.too-big > summary:focus-visible {
        outline: none;
        box-shadow: 0 0 0 3px var(--hearth-accent-ring);
      }
      details.too-big .check {
        margin: 0.75rem 0 0.5rem;
      }
      hearth-model-url {
        margin-top: 1.25rem;
      }
      .estimate {
        margin: 1rem 0 0;
        font-size: 0.85rem;
        color: var(--hearth-muted);
      }
    `,
  ];

  constructor() {
    super();
    this.models = [];
    this.recommended = null;
    this.installed = [];
    this.downloads = new Map();
    this.override = false;
  }

  private async pull(m: CatalogModel): Promise<void> {
    const result = await this.act(`pull:${m.id}`, () => api.pullModel({ id: m.id, override: m.verdict.verdict === 'does-not-fit' }));
    if (result?.download) modelStatus.noteDownload(result.download, m.name);
  }

  private action(m: CatalogModel) {
    if (this.installed.some((i) => i.id === m.id)) return html`<span class="note">${icon('check', 16)} Installed</span>`;
    const d = this.downloads.get(m.id);
    if (d && isPending(d) && d.state !== 'failed') {
      const pct = percentOf(d);
      return html`<span class="note">${d.state === 'paused' ? 'Paused' : 'Downloading'}${pct === null ? '' : ` ${pct} %`}</span>`;
    }
    const tooBig = m.verdict.verdict === 'does-not-fit';
    const synthetic = m.source === 'synthetic';
    return this.button({
      key: `pull:${m.id}`,
      label: d?.state === 'failed' ? 'Try again' : synthetic ? 'Install' : tooBig ? 'Download anyway' : 'Download',
      busyLabel: synthetic ? 'Installing…' : 'Starting…',
      forName: m.name,
      kind: m.id === this.recommended ? 'primary' : 'secondary',
      disabled: tooBig && !this.override,
      onClick: () => void this.pull(m),
    });
  }

  private row(m: CatalogModel) {
    return html`<li data-model=${m.id}>
      <div class="info">
        <h3>${m.name} ${m.id === this.recommended ? html`<span class="tag accent">Recommended</span>` : nothing}</h3>
        ${verdictLine(m.verdict)} ${modelFacts(m)}
        <p class="summary">${m.summary}</p>
      </div>
      <div class="act">${this.action(m)}</div>
    </li>`;
  }

  protected override render() {
    const demoFirst = (a: CatalogModel, b: CatalogModel) =>
      Number(b.id === this.recommended) - Number(a.id === this.recommended) ||
      Number(b.source === 'synthetic') - Number(a.source === 'synthetic') ||
      a.sizeBytes - b.sizeBytes;
    const fitting = this.models.filter((m) => m.verdict.verdict !== 'does-not-fit').sort(demoFirst);
    const tooBig = this.models.filter((m) => m.verdict.verdict === 'does-not-fit').sort(demoFirst);
    return html`<section class="card" aria-labelledby="catalog-title">
      <h2 id="catalog-title">${icon('globe', 20)} Get a model</h2>
      <p class="intro">Models that fit this box’s free memory, the recommended one first.</p>
      ${formAlert(this.formError, 'catalog-error')}
      <ul class="rows">
        ${fitting.map((m) => this.row(m))}
      </ul>
      ${tooBig.length
        ? html`<details class="too-big">
            <summary>Too big for this box (${tooBig.length})</summary>
            <label class="check"
              ><input type="checkbox" .checked=${this.override} @change=${(e: Event) => (this.override = (e.target as HTMLInputElement).checked)} />
              Download anyway (it will not be loaded on this box)</label
            >
            <ul class="rows">
              ${tooBig.map((m) => this.row(m))}
            </ul>
          </details>`
        : nothing}
      <hearth-model-url></hearth-model-url>
      <p class="estimate">Memory figures are estimates: the model’s weights plus its working memory for the context shown.</p>
    </section>`;
  }
}
customElements.define('hearth-models-catalog', ModelsCatalog);

declare global {
  interface HTMLElementTagNameMap {
    'hearth-models-catalog': ModelsCatalog;
  }
}
