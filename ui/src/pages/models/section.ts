import { css, html, nothing, type TemplateResult } from 'lit';
import { toApiError } from '../../data/api.js';
import { FormElement } from '../../components/form.js';
import { modelViewStyles } from '../../components/model-view.js';
import { shared } from '../../components/styles.js';
import { cardTitleStyles } from '../page.js';
import { fire } from '../../events.js';

/**
 * Base for a card on the Models page: one action at a time (the button that started it shows a
 * spinner), errors shown in the card and announced, an ended session sends the shell to sign in,
 * and a change the server made is reported upward (`models-changed`) so the page asks again.
 * A destructive action asks first, in place: `confirming` names what is being confirmed.
 */
export class ModelSection extends FormElement {
  static override properties = {
    ...FormElement.properties,
    pendingAction: { state: true },
    confirming: { state: true },
  };
  /** The action under way ("remove:demo"), or "". */
  declare pendingAction: string;
  declare confirming: string;
  /** What to tell the page after a change (the Shares page's cards reuse this base). */
  protected changedEvent: 'models-changed' | 'shares-changed' | 'agents-changed' | 'library-changed' = 'models-changed';

  static override styles = [
    shared,
    modelViewStyles,
    cardTitleStyles,
    css`
      :host {
        display: block;
      }
      .card > p.intro {
        color: var(--hearth-muted);
      }
      ul.rows {
        list-style: none;
        margin: 0;
        padding: 0;
        display: grid;
      }
      ul.rows > li {
        display: grid;
        grid-template-columns: minmax(0, 1fr) auto;
        gap: 0.5rem 1.25rem;
        align-items: center;
        padding: 1rem 0;
        border-top: 1px solid var(--hearth-border);
      }
      ul.rows > li:first-child {
        border-top: 0;
        padding-top: 0.25rem;
      }
      ul.rows > li:last-child {
        padding-bottom: 0;
      }
      .info {
        display: grid;
        gap: 0.3rem;
        min-width: 0;
      }
      .info h3 {
        margin: 0;
        display: flex;
        flex-wrap: wrap;
        align-items: center;
        gap: 0.25rem 0.5rem;
        overflow-wrap: anywhere;
        min-width: 0;
      }
      .info p {
        margin: 0;
      }
      .summary {
        font-size: 0.9rem;
        color: var(--hearth-muted);
      }
      .act {
        display: flex;
        flex-wrap: wrap;
        gap: 0.5rem;
        justify-content: flex-end;
        align-items: center;
      }
      .confirm {
        grid-column: 1 / -1;
        display: grid;
        gap: 0.6rem;
        padding: 0.8rem 1rem;
        border-radius: var(--hearth-radius-sm);
        background: var(--hearth-error-soft);
        border: 1px solid #fecdca;
      }
      .confirm p {
        margin: 0;
        color: var(--hearth-text);
      }
      .confirm .act {
        justify-content: flex-start;
      }
      .note {
        font-size: 0.9rem;
        color: var(--hearth-muted);
        font-weight: 550;
      }
      .empty {
        color: var(--hearth-muted);
        margin: 0;
      }
      .card > .banner + * {
        margin-top: 1rem;
      }
      .card > .banner {
        margin-bottom: 1rem;
      }
      @media (max-width: 600px) {
        ul.rows > li {
          grid-template-columns: minmax(0, 1fr);
        }
        .act {
          justify-content: flex-start;
        }
      }
    `,
  ];

  constructor() {
    super();
    this.focusOnShow = false;
    this.sessionRequired = true;
    this.pendingAction = '';
    this.confirming = '';
  }

  /** Run one action; on success the page is told to ask the server again. */
  protected async act<T>(key: string, action: () => Promise<T>): Promise<T | undefined> {
    if (this.pendingAction) return undefined;
    this.pendingAction = key;
    this.formError = '';
    try {
      const result = await action();
      fire(this, this.changedEvent, {});
      return result;
    } catch (err) {
      this.showError(toApiError(err));
      return undefined;
    } finally {
      this.pendingAction = '';
    }
  }

  /** Ask before `key` happens; focus goes to the safe choice. */
  protected async confirm(key: string): Promise<void> {
    this.confirming = key;
    this.formError = '';
    await this.updateComplete;
    this.renderRoot.querySelector<HTMLElement>('[data-keep]')?.focus();
  }

  /** Changed their mind: focus goes back to the button that asked. */
  protected async keep(returnTo: string): Promise<void> {
    this.confirming = '';
    await this.updateComplete;
    this.renderRoot.querySelector<HTMLElement>(`[data-action="${CSS.escape(returnTo)}"]`)?.focus();
  }

  /** A row button: with a spinner while its own action runs; named for the row for screen readers. */
  protected button(o: { key: string; label: string; busyLabel: string; forName: string; kind?: string; onClick: () => void; disabled?: boolean }): TemplateResult {
    const busy = this.pendingAction === o.key;
    return html`<button
      class="btn small ${o.kind ?? 'secondary'}"
      type="button"
      data-action=${o.key}
      ?disabled=${Boolean(this.pendingAction) || (o.disabled ?? false)}
      aria-busy=${busy ? 'true' : 'false'}
      @click=${o.onClick}
    >
      ${busy ? html`<span class="spinner" aria-hidden="true"></span>${o.busyLabel}` : o.label}<span class="visually-hidden"> ${o.forName}</span>
    </button>`;
  }

  /** The in-place "are you sure" for `key`. */
  protected confirmBox(o: { key: string; returnTo: string; text: string | TemplateResult; yes: string; busyLabel: string; forName: string; onYes: () => void }) {
    if (this.confirming !== o.key) return nothing;
    return html`<div class="confirm" role="group" aria-label=${`Confirm: ${o.yes} ${o.forName}`}>
      <p>${o.text}</p>
      <div class="act">
        ${this.button({ key: o.key, label: o.yes, busyLabel: o.busyLabel, forName: o.forName, kind: 'danger', onClick: o.onYes })}
        <button class="btn small quiet" type="button" data-keep ?disabled=${Boolean(this.pendingAction)} @click=${() => void this.keep(o.returnTo)}>
          Keep it
        </button>
      </div>
    </div>`;
  }
}
