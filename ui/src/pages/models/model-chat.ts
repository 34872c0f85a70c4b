import { css, html, nothing, type PropertyValues } from 'lit';
import { streamChat, toApiError, type ChatMessage } from '../../data/api.js';
import { FormElement, field, formAlert } from '../../components/form.js';
import { shared } from '../../components/styles.js';
import { icon } from '../../components/icons.js';
import { cardTitleStyles } from '../page.js';

/** Messages sent along for context: enough for a follow-up, small enough for a short model memory. */
const HISTORY = 6;
const MAX_TOKENS = 200;

/** "Try it": a small chat with the active model, its answer streamed in as it is written. */
export class ModelsChat extends FormElement {
  static override properties = {
    ...FormElement.properties,
    model: {},
    modelName: { attribute: false },
    unavailable: { attribute: false },
    messages: { state: true },
    draft: { state: true },
    streaming: { state: true },
  };
  /** The active model's id, or null. */
  declare model: string | null;
  declare modelName: string;
  /** Why the chat cannot be used now ("" when it can). */
  declare unavailable: string;
  declare messages: ChatMessage[];
  declare draft: string;
  declare streaming: boolean;
  private abort: AbortController | null = null;

  static override styles = [
    shared,
    cardTitleStyles,
    css`
      :host {
        display: block;
      }
      .card > p.intro {
        color: var(--hearth-muted);
      }
      .transcript {
        display: grid;
        gap: 0.75rem;
        max-height: 22rem;
        overflow-y: auto;
        padding: 0.25rem 0.1rem;
        margin-bottom: 1rem;
      }
      .transcript:empty {
        display: none;
      }
      .msg {
        display: grid;
        gap: 0.2rem;
        max-width: 85%;
        min-width: 0;
      }
      .msg.user {
        justify-self: end;
        text-align: right;
      }
      .who {
        font-size: 0.78rem;
        font-weight: 650;
        color: var(--hearth-muted);
      }
      .msg p {
        margin: 0;
        padding: 0.6rem 0.85rem;
        border-radius: 14px;
        white-space: pre-wrap;
        overflow-wrap: anywhere;
        text-align: left;
      }
      .msg.user p {
        background: var(--hearth-accent);
        color: #fff;
        border-bottom-right-radius: 4px;
      }
      .msg.assistant p {
        background: var(--hearth-surface-2);
        border: 1px solid var(--hearth-border);
        border-bottom-left-radius: 4px;
      }
      .typing {
        color: var(--hearth-muted);
        font-style: italic;
      }
      .send {
        display: flex;
        gap: 0.6rem;
        align-items: flex-end;
      }
      .send .field {
        flex: 1;
      }
      .send .btn {
        flex: none;
      }
      form {
        gap: 0.75rem;
      }
      .actions {
        margin: 0;
        justify-content: flex-start;
      }
      .reason {
        display: flex;
        gap: 0.5rem;
        align-items: flex-start;
        margin: 0;
        color: var(--hearth-muted);
        font-size: 0.92rem;
      }
      .reason .icon {
        margin-top: 0.15rem;
      }
    `,
  ];

  constructor() {
    super();
    this.fieldIds = ['prompt'];
    this.focusOnShow = false;
    this.sessionRequired = true;
    this.model = null;
    this.modelName = '';
    this.unavailable = '';
    this.messages = [];
    this.draft = '';
    this.streaming = false;
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.abort?.abort();
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    // Another model answers from now on: start a new conversation.
    if (changed.has('model') && changed.get('model') !== undefined) {
      this.abort?.abort();
      this.messages = [];
    }
  }

  protected override updated(changed: PropertyValues<this>): void {
    if (changed.has('messages')) {
      const t = this.renderRoot.querySelector('.transcript');
      if (t) t.scrollTop = t.scrollHeight;
    }
  }

  private async send(e: Event): Promise<void> {
    e.preventDefault();
    if (this.streaming || this.unavailable || !this.model) return;
    const text = this.draft.trim();
    if (text === '') {
      this.showFieldErrors({ prompt: 'Type a message first.' });
      return;
    }
    this.errors = {};
    this.formError = '';
    const history: ChatMessage[] = [...this.messages, { role: 'user', content: text }];
    this.messages = [...history, { role: 'assistant', content: '' }];
    this.draft = '';
    this.streaming = true;
    const abort = new AbortController();
    this.abort = abort;
    try {
      await streamChat({ model: this.model, messages: history.slice(-HISTORY), maxTokens: MAX_TOKENS }, (piece) => this.appendAnswer(piece), abort.signal);
    } catch (err) {
      const problem = toApiError(err);
      if (!this.sessionEnded(problem)) this.formError = problem.detail;
    } finally {
      if (this.abort === abort) this.abort = null;
      this.streaming = false;
      // An answer that never started is not kept.
      const last = this.messages[this.messages.length - 1];
      if (last?.role === 'assistant' && last.content === '') this.messages = this.messages.slice(0, -1);
      void this.focusField('prompt');
    }
  }

  private appendAnswer(piece: string): void {
    const last = this.messages[this.messages.length - 1];
    if (!last || last.role !== 'assistant') return;
    this.messages = [...this.messages.slice(0, -1), { role: 'assistant', content: last.content + piece }];
  }

  private stop(): void {
    this.abort?.abort();
  }

  private clear(): void {
    this.messages = [];
    this.formError = '';
    void this.focusField('prompt');
  }

  protected override render() {
    const disabled = Boolean(this.unavailable) || !this.model;
    const lastIndex = this.messages.length - 1;
    return html`<section class="card" aria-labelledby="chat-title">
      <h2 id="chat-title">${icon('agent', 20)} Try it</h2>
      <p class="intro">
        ${disabled ? 'Ask the active model something and watch it answer.' : html`Ask <strong>${this.modelName}</strong> something and watch it answer.`}
      </p>
      <div class="transcript" role="log" aria-label="Conversation" aria-busy=${this.streaming ? 'true' : 'false'}>${this.messages.map(
        (m, i) => html`<div class="msg ${m.role}">
          <span class="who">${m.role === 'user' ? 'You' : this.modelName}</span>
          ${m.role === 'assistant' && m.content === '' && this.streaming
            ? html`<p class="typing">Thinking…</p>`
            : html`<p data-testid=${i === lastIndex && m.role === 'assistant' ? 'chat-answer' : nothing}>${m.content}</p>`}
        </div>`,
      )}</div>
      <form novalidate @submit=${this.send}>
        ${formAlert(this.formError, 'chat-error')}
        <div class="send">
          ${field({
            id: 'prompt',
            label: 'Message',
            value: this.draft,
            placeholder: disabled ? '' : 'Ask something',
            autocomplete: 'off',
            disabled,
            describedBy: disabled ? 'chat-unavailable' : undefined,
            error: this.errors.prompt,
            onInput: (v) => {
              this.draft = v;
              this.clearError('prompt');
            },
          })}
          <button class="btn primary" type="submit" ?disabled=${disabled || this.streaming}>Send</button>
        </div>
        ${disabled ? html`<p class="reason" id="chat-unavailable">${icon('info', 18)}<span>${this.unavailable}</span></p>` : nothing}
        ${this.streaming || this.messages.length
          ? html`<div class="actions">
              ${this.streaming
                ? html`<button class="btn small secondary" type="button" @click=${this.stop}>Stop</button>`
                : html`<button class="btn small quiet" type="button" @click=${this.clear}>Clear conversation</button>`}
            </div>`
          : nothing}
      </form>
    </section>`;
  }
}
customElements.define('hearth-models-chat', ModelsChat);

declare global {
  interface HTMLElementTagNameMap {
    'hearth-models-chat': ModelsChat;
  }
}
