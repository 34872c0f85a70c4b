import { html, nothing } from 'lit';
import { api, type ModelRuntime, type ModelsView } from '../data/api.js';
import { ModelStatusController, isPending, modelStatus, type ModelChange } from '../data/model-status.js';
import { downloadText } from '../components/model-view.js';
import { LoadedPage, pageHead } from './page.js';
import './models/active-model.js';
import './models/model-chat.js';
import './models/model-downloads.js';
import './models/installed-models.js';
import './models/model-catalog.js';
import './models/api-tokens.js';

/** After a download is done the server registers the file: ask again until it shows (about 5 s at most). */
const INSTALL_RETRIES = 12;
const INSTALL_RETRY_MS = 400;

/**
 * Models: the active model and its state, a chat to try it, downloads, what is installed,
 * the catalog with verdicts for this box, and API tokens. The page owns the server's answer
 * (GET /api/models), merges the live stream into it, and asks again when a card reports a change.
 */
export class PageModels extends LoadedPage<ModelsView> {
  private readonly live = new ModelStatusController(this, (c) => this.onLive(c));
  private waitTimer: number | undefined;

  constructor() {
    super();
    this.addEventListener('models-changed', (e) => {
      e.stopPropagation();
      void this.refresh();
    });
    this.addEventListener('model-pulled', (e) => {
      e.stopPropagation();
      void this.refresh();
    });
  }

  protected override fetchView(): Promise<ModelsView> {
    return api.models();
  }

  /** The view first: the store's news of the worker is then already in it (no second request). */
  protected override loaded(view: ModelsView): void {
    modelStatus.learn(view);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    window.clearTimeout(this.waitTimer);
  }

  private onLive(change: ModelChange): void {
    if (change.type === 'download') {
      const { status, previous } = change;
      // Finished here: the model is being registered; show it once the server lists it.
      if (status.state === 'done' && previous && previous.state !== 'done') this.waitForInstall(status.id, INSTALL_RETRIES);
    } else if (change.type === 'worker' && this.view && change.runtime.active !== this.view.active) {
      void this.refresh();
    }
  }

  private waitForInstall(id: string, tries: number): void {
    window.clearTimeout(this.waitTimer);
    void this.refresh().then(() => {
      if (tries > 0 && this.isConnected && !this.view?.installed.some((m) => m.id === id)) {
        this.waitTimer = window.setTimeout(() => this.waitForInstall(id, tries - 1), INSTALL_RETRY_MS);
      }
    });
  }

  /** Why the chat cannot be used now, or "". */
  private chatUnavailable(runtime: ModelRuntime): string {
    if (runtime.active) return '';
    const pending = [...this.live.value.downloads.values()].find(isPending);
    if (pending) return `${downloadText(pending, modelStatus.nameOf(pending.id))}. You can try it once it is in.`;
    if (this.view?.installed.length) return 'No model is active. Choose “Use” next to an installed model.';
    return 'No model on this box yet. Download one below (the demo model takes a second).';
  }

  protected override render() {
    const head = pageHead('Models', 'The AI that runs on this box: which model answers, what is downloading, and what else fits.');
    if (!this.view) return html`${head}${this.waitOrProblem('Checking which models fit this box…')}`;
    const view = this.view;
    // The stream is fresher than the last answer; until it speaks, the answer stands.
    const runtime: ModelRuntime = this.live.value.runtime ?? view;
    const activeModel = view.installed.find((m) => m.id === runtime.active) ?? null;
    const downloads = this.live.value.downloads;
    const pending = [...downloads.values()].filter(isPending);
    return html`${head} ${this.staleProblem()}
      <div class="sections">
        <hearth-models-active .runtime=${runtime} .model=${activeModel} .keepAliveMinutes=${view.keepAliveMinutes}></hearth-models-active>
        <hearth-models-chat
          .model=${activeModel?.id ?? null}
          .modelName=${activeModel?.name ?? ''}
          .unavailable=${this.chatUnavailable(runtime)}
        ></hearth-models-chat>
        ${pending.length ? html`<hearth-models-downloads .downloads=${pending}></hearth-models-downloads>` : nothing}
        <hearth-models-installed .installed=${view.installed} .active=${runtime.active}></hearth-models-installed>
        <hearth-models-catalog
          .models=${view.models}
          .recommended=${view.recommended}
          .installed=${view.installed}
          .downloads=${new Map(downloads)}
        ></hearth-models-catalog>
        <hearth-models-tokens></hearth-models-tokens>
      </div>`;
  }
}
customElements.define('hearth-page-models', PageModels);

declare global {
  interface HTMLElementTagNameMap {
    'hearth-page-models': PageModels;
  }
}
