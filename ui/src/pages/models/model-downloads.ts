import { css, html } from 'lit';
import { api, type DownloadStatus } from '../../data/api.js';
import { modelStatus } from '../../data/model-status.js';
import { formAlert } from '../../components/form.js';
import { downloadBytes, downloadText, formatBytes, progressBar } from '../../components/model-view.js';
import { icon } from '../../components/icons.js';
import { ModelSection } from './section.js';

/** Downloads under way, paused or failed: progress, pause, resume, cancel (asks first). */
export class ModelsDownloads extends ModelSection {
  static override properties = {
    ...ModelSection.properties,
    downloads: { attribute: false },
  };
  declare downloads: DownloadStatus[];

  static override styles = [
    ...ModelSection.styles,
    css`
      .info .status {
        font-size: 0.92rem;
      }
      .info .status.failed {
        color: var(--hearth-error);
      }
      .bytes {
        font-size: 0.85rem;
        color: var(--hearth-muted);
        font-variant-numeric: tabular-nums;
      }
    `,
  ];

  constructor() {
    super();
    this.downloads = [];
  }

  private row(d: DownloadStatus) {
    const name = modelStatus.nameOf(d.id);
    const running = d.state === 'active' || d.state === 'queued';
    return html`<li>
      <div class="info">
        <h3>${name}</h3>
        ${progressBar(d, `Download of ${name}`)}
        <p class="status ${d.state}" data-testid="download-row-status">${downloadText(d)}</p>
        <p class="bytes">${downloadBytes(d)}</p>
      </div>
      <div class="act">
        ${running
          ? this.button({ key: `pause:${d.id}`, label: 'Pause', busyLabel: 'Pausing…', forName: name, onClick: () => void this.act(`pause:${d.id}`, () => api.pauseDownload(d.id)) })
          : this.button({
              key: `resume:${d.id}`,
              label: d.state === 'failed' ? 'Try again' : 'Resume',
              busyLabel: 'Resuming…',
              forName: name,
              kind: 'primary',
              onClick: () => void this.act(`resume:${d.id}`, () => api.resumeDownload(d.id)),
            })}
        ${this.button({ key: `ask-cancel:${d.id}`, label: 'Cancel', busyLabel: 'Cancel', forName: name, kind: 'quiet', onClick: () => void this.confirm(`cancel:${d.id}`) })}
      </div>
      ${this.confirmBox({
        key: `cancel:${d.id}`,
        returnTo: `ask-cancel:${d.id}`,
        text: html`Cancel the download of <strong>${name}</strong>? The ${formatBytes(d.receivedBytes)} downloaded so far are deleted.`,
        yes: 'Cancel download',
        busyLabel: 'Cancelling…',
        forName: name,
        onYes: () => void this.act(`cancel:${d.id}`, () => api.cancelDownload(d.id)).then(() => (this.confirming = '')),
      })}
    </li>`;
  }

  protected override render() {
    return html`<section class="card" aria-labelledby="downloads-title">
      <h2 id="downloads-title">${icon('clock', 20)} Downloads</h2>
      ${formAlert(this.formError, 'downloads-error')}
      <ul class="rows">
        ${this.downloads.map((d) => this.row(d))}
      </ul>
    </section>`;
  }
}
customElements.define('hearth-models-downloads', ModelsDownloads);

declare global {
  interface HTMLElementTagNameMap {
    'hearth-models-downloads': ModelsDownloads;
  }
}
