import { css, html, nothing, type TemplateResult } from 'lit';
import { libraryApi, type AskAnswer, type Citation } from '../../data/agents.js';
import { field, formAlert, submitButton } from '../../components/form.js';
import { formatCount, markedSnippet } from '../../components/agent-view.js';
import { icon } from '../../components/icons.js';
import { LibrarySection, wherePath } from './section.js';

/** The answer's text with each [n] as a link to the document it cites; text nodes only, never markup from the model. */
function citedText(answer: string, citations: Citation[]): (string | TemplateResult)[] {
  const byN = new Map(citations.map((c) => [c.n, c]));
  return answer.split(/(\[\d+\])/).map((part) => {
    const m = /^\[(\d+)\]$/.exec(part);
    const c = m ? byN.get(Number(m[1])) : undefined;
    return c ? html`<a class="cite" href="/library/${c.documentId}" title=${c.title} aria-label=${`Source ${c.n}: ${c.title}`}>${c.n}</a>` : part;
  });
}

/** "Ask your files": a question answered from the library's passages, with numbered links to the documents it used. */
export class LibraryAsk extends LibrarySection {
  static override properties = {
    ...LibrarySection.properties,
    question: { state: true },
    asked: { state: true },
    answer: { state: true },
  };
  declare question: string;
  /** The question the answer (or the wait) is for. */
  declare asked: string;
  declare answer: AskAnswer | null;

  static override styles = [
    ...LibrarySection.styles,
    css`
      .ask-row {
        display: flex;
        gap: 0.6rem;
        align-items: flex-end;
      }
      .ask-row .field {
        flex: 1;
      }
      .ask-row .btn {
        flex: none;
      }
      .waiting {
        display: flex;
        align-items: center;
        gap: 0.6rem;
        color: var(--hearth-muted);
        margin: 1rem 0 0;
      }
      .answer {
        margin-top: 1.1rem;
        display: grid;
        gap: 0.75rem;
        padding: 1rem 1.1rem;
        border-radius: var(--hearth-radius-sm);
        background: var(--hearth-surface-2);
        border: 1px solid var(--hearth-border);
      }
      .answer p {
        margin: 0;
      }
      .answer .q {
        font-weight: 650;
      }
      .answer .text {
        white-space: pre-wrap;
        overflow-wrap: anywhere;
      }
      a.cite {
        display: inline-grid;
        place-items: center;
        min-width: 1.35rem;
        height: 1.35rem;
        padding: 0 0.3rem;
        margin: 0 0.1rem;
        border-radius: 999px;
        background: var(--hearth-accent);
        color: #fff;
        font-size: 0.75rem;
        font-weight: 700;
        text-decoration: none;
        vertical-align: 0.1em;
      }
      a.cite:hover {
        background: var(--hearth-accent-hover);
        color: #fff;
      }
      ol.sources {
        margin: 0;
        padding-left: 1.4rem;
        display: grid;
        gap: 0.5rem;
        font-size: 0.92rem;
      }
      ol.sources p {
        color: var(--hearth-muted);
        overflow-wrap: anywhere;
      }
      .answer-error {
        margin-top: 1rem;
      }
      .usage {
        font-size: 0.82rem;
        color: var(--hearth-muted);
      }
      @media (max-width: 480px) {
        .ask-row {
          flex-direction: column;
          align-items: stretch;
        }
      }
    `,
  ];

  constructor() {
    super();
    this.fieldIds = ['question'];
    this.question = '';
    this.asked = '';
    this.answer = null;
  }

  private async submit(e: Event): Promise<void> {
    e.preventDefault();
    const q = this.question.trim();
    if (q === '') {
      this.showFieldErrors({ question: 'Type a question, like “When is the water bill due?”' });
      return;
    }
    this.asked = q;
    this.answer = null;
    const answer = await this.run(() => libraryApi.ask(q));
    if (answer) this.answer = answer;
  }

  private answerView(a: AskAnswer): TemplateResult {
    return html`<div class="answer" data-testid="ask-answer" aria-live="polite">
      <p class="q">${this.asked}</p>
      <p class="text">${citedText(a.answer, a.citations)}</p>
      ${a.citations.length
        ? html`<ol class="sources" aria-label="Sources">
            ${a.citations.map(
              (c) => html`<li value=${c.n}>
                <a href="/library/${c.documentId}">${c.title}</a> <span class="where muted">${wherePath(c)}</span>
                ${c.snippet ? html`<p>${markedSnippet(c.snippet)}</p>` : nothing}
              </li>`,
            )}
          </ol>`
        : html`<p class="muted small">No document was cited.</p>`}
      <p class="usage">The model read ${formatCount(a.usage.promptTokens)} tokens and wrote ${formatCount(a.usage.generatedTokens)}.</p>
    </div>`;
  }

  protected override render() {
    return html`<section class="card" aria-labelledby="ask-title">
      <h2 id="ask-title">${icon('spark', 20)} Ask your files</h2>
      <p class="intro">Answers come from the documents in the library, with links to the ones used.</p>
      <form novalidate @submit=${this.submit}>
        <div class="ask-row">
          ${field({
            id: 'question',
            label: 'Question',
            hideLabel: true,
            value: this.question,
            placeholder: 'When is the water bill due?',
            autocomplete: 'off',
            maxlength: 1000,
            // The error goes under the row, not between the box and its button.
            describedBy: this.errors.question ? 'question-error' : undefined,
            onInput: this.setter('question'),
          })}
          ${submitButton('Ask', 'Asking…', this.busy)}
        </div>
        ${this.errors.question ? html`<p class="error" id="question-error" role="alert">${icon('alert', 16)}<span>${this.errors.question}</span></p>` : nothing}
      </form>
      ${this.busy
        ? html`<p class="waiting" role="status"><span class="spinner" aria-hidden="true"></span>Reading your files; the model is answering…</p>`
        : nothing}
      ${this.formError ? html`<div class="answer-error">${formAlert(this.formError, 'ask-error')}</div>` : nothing}
      ${this.answer ? this.answerView(this.answer) : nothing}
    </section>`;
  }
}
customElements.define('hearth-library-ask', LibraryAsk);

declare global {
  interface HTMLElementTagNameMap {
    'hearth-library-ask': LibraryAsk;
  }
}
