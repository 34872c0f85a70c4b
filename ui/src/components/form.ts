import { LitElement, html, nothing, type TemplateResult } from 'lit';
import { ifDefined } from 'lit/directives/if-defined.js';
import { live } from 'lit/directives/live.js';
import { toApiError, type ApiError } from '../data/api.js';
import { fire } from '../events.js';
import { icon } from './icons.js';

export interface FieldOptions {
  id: string;
  label: string | TemplateResult;
  value: string;
  onInput?: (value: string, input: HTMLInputElement) => void;
  type?: 'text' | 'password' | 'number' | 'time';
  /** A multi-line text box this many lines high, instead of an input. */
  rows?: number;
  /** The label is for screen readers only (the placeholder and the card say what to type). */
  hideLabel?: boolean;
  /** For numbers: the range, and the keyboard a phone shows. */
  min?: number;
  max?: number;
  /** For numbers: the step ('any' for a price). */
  step?: number | 'any';
  inputmode?: 'numeric' | 'decimal' | 'url' | 'text';
  hint?: string | TemplateResult;
  error?: string | undefined;
  autocomplete?: string;
  placeholder?: string;
  readonly?: boolean;
  disabled?: boolean;
  /** Off for codes and user names, where a phone's auto-correct only gets in the way. */
  plain?: boolean;
  autocapitalize?: 'none' | 'characters' | 'words' | 'sentences';
  maxlength?: number;
  inputClass?: string;
  /** Extra ids the input is described by (a live preview, say). */
  describedBy?: string;
  /** Something after the input, on the same line (".local"). */
  suffix?: string;
}

/** A labelled input with its hint and error, linked by aria-describedby. */
export function field(o: FieldOptions): TemplateResult {
  const hintId = o.hint ? `${o.id}-hint` : undefined;
  const errorId = o.error ? `${o.id}-error` : undefined;
  const describedBy = [hintId, o.describedBy, errorId].filter(Boolean).join(' ') || undefined;
  // A text area has the value and selection an input has, which is all a caller uses.
  const onInput = (e: Event) => {
    const el = e.target as HTMLInputElement;
    o.onInput?.(el.value, el);
  };
  const input = o.rows
    ? html`<textarea
        id=${o.id}
        name=${o.id}
        rows=${o.rows}
        class=${ifDefined(o.inputClass)}
        .value=${live(o.value)}
        placeholder=${ifDefined(o.placeholder)}
        maxlength=${ifDefined(o.maxlength)}
        ?disabled=${o.disabled ?? false}
        aria-invalid=${o.error ? 'true' : 'false'}
        aria-describedby=${ifDefined(describedBy)}
        @input=${onInput}
      ></textarea>`
    : html`<input
    id=${o.id}
    name=${o.id}
    type=${o.type ?? 'text'}
    class=${ifDefined(o.inputClass)}
    .value=${live(o.value)}
    autocomplete=${ifDefined(o.autocomplete)}
    placeholder=${ifDefined(o.placeholder)}
    maxlength=${ifDefined(o.maxlength)}
    min=${ifDefined(o.min)}
    max=${ifDefined(o.max)}
    step=${ifDefined(o.step)}
    inputmode=${ifDefined(o.inputmode)}
    autocapitalize=${ifDefined(o.autocapitalize ?? (o.plain ? 'none' : undefined))}
    spellcheck=${o.plain ? 'false' : 'true'}
    autocorrect=${ifDefined(o.plain ? 'off' : undefined)}
    ?readonly=${o.readonly ?? false}
    ?disabled=${o.disabled ?? false}
    aria-invalid=${o.error ? 'true' : 'false'}
    aria-describedby=${ifDefined(describedBy)}
    @input=${onInput}
  />`;
  return html`<div class="field">
    <label for=${o.id} class=${ifDefined(o.hideLabel ? 'visually-hidden' : undefined)}>${o.label}</label>
    ${o.suffix ? html`<div class="affix">${input}<span class="suffix" aria-hidden="true">${o.suffix}</span></div>` : input}
    ${o.error ? html`<p class="error" id=${errorId!} role="alert">${icon('alert', 16)}<span>${o.error}</span></p>` : nothing}
    ${o.hint ? html`<p class="hint" id=${hintId!}>${o.hint}</p>` : nothing}
  </div>`;
}

/** A form-wide message (not about one field), announced when it appears. */
export function formAlert(message: string, id = 'form-error'): TemplateResult | typeof nothing {
  if (!message) return nothing;
  return html`<p class="banner error" id=${id} role="alert">${icon('alert', 18)}<span>${message}</span></p>`;
}

/** A wizard step could not load what it shows: what went wrong, skip the step, or try again. */
export function stepLoadProblem(detail: string, skip: () => void, retry: () => void): TemplateResult {
  return html`<p class="banner error" role="alert">${icon('alert', 18)}<span>${detail}</span></p>
    <div class="actions">
      <button class="btn quiet" type="button" @click=${skip}>Skip for now</button>
      <button class="btn primary" type="button" @click=${retry}>Try again</button>
    </div>`;
}

/** A success message, read out politely. */
export function formStatus(message: string): TemplateResult {
  // No whitespace inside: an empty region matches :empty and takes no room in the form.
  return html`<div class="status" role="status" aria-live="polite">${message
    ? html`<p class="banner ok">${icon('check', 18)}<span>${message}</span></p>`
    : nothing}</div>`;
}

/** The submit button: disabled, with a spinner, while the request is in flight. */
export function submitButton(label: string, busyLabel: string, busy: boolean, disabled = false): TemplateResult {
  return html`<button class="btn primary" type="submit" ?disabled=${busy || disabled} aria-busy=${busy ? 'true' : 'false'}>
    ${busy ? html`<span class="spinner" aria-hidden="true"></span>${busyLabel}` : label}
  </button>`;
}

/** Characters as a person counts them (the server counts code points too). */
export const charCount = (s: string): number => [...s].length;

/**
 * Base for a view with a form: one request at a time, server errors placed next to the
 * field they name (or above the form), focus on the first field when it appears.
 */
export class FormElement extends LitElement {
  static override properties = {
    busy: { state: true },
    errors: { state: true },
    formError: { state: true },
  };
  declare busy: boolean;
  declare errors: Record<string, string>;
  declare formError: string;

  /** Field ids this form shows, so an error naming one lands next to it. */
  protected fieldIds: readonly string[] = [];
  /** Map a server field name to this form's input id when they differ. */
  protected fieldAliases: Record<string, string> = {};
  /** Move focus to the first input when this view appears. */
  protected focusOnShow = true;
  /** Its requests need the signed-in session: a 401 means the session ended, and the shell is asked to sign in again. */
  protected sessionRequired = false;

  constructor() {
    super();
    this.busy = false;
    this.errors = {};
    this.formError = '';
  }

  protected override firstUpdated(): void {
    if (this.focusOnShow) this.focusFirst();
  }

  protected focusFirst(): void {
    const target = this.renderRoot.querySelector<HTMLElement>('input:not([readonly]):not([type="hidden"]), [data-autofocus]');
    target?.focus();
  }

  protected async focusField(id: string): Promise<void> {
    await this.updateComplete;
    this.renderRoot.querySelector<HTMLElement>(`#${CSS.escape(id)}`)?.focus();
  }

  /** Show errors found before asking the server; focus the first field at fault. */
  protected showFieldErrors(errors: Record<string, string>): boolean {
    const ids = Object.keys(errors);
    if (ids.length === 0) return false;
    this.errors = errors;
    this.formError = '';
    const first = this.fieldIds.find((id) => ids.includes(id)) ?? ids[0]!;
    void this.focusField(first);
    return true;
  }

  protected clearError(id: string): void {
    if (this.errors[id]) {
      const { [id]: _gone, ...rest } = this.errors;
      this.errors = rest;
    }
  }

  /** Something was typed into a field: its error no longer applies. */
  protected edited(id: string): void {
    this.clearError(id);
  }

  /** An `onInput` for a field: keep what is typed in property `key`, and note the field `id` was edited. */
  protected setter(key: keyof this & string, id: string = key): (value: string) => void {
    return (value) => {
      (this as Record<string, unknown>)[key] = value;
      this.edited(id);
    };
  }

  /** Run one request; while it runs the submit button is disabled; a failure is shown. */
  protected async run<T>(action: () => Promise<T>): Promise<T | undefined> {
    if (this.busy) return undefined;
    this.busy = true;
    this.errors = {};
    this.formError = '';
    try {
      return await action();
    } catch (err) {
      this.showError(toApiError(err));
      return undefined;
    } finally {
      this.busy = false;
    }
  }

  protected showError(e: ApiError): void {
    if (this.sessionRequired && this.sessionEnded(e)) return;
    const id = e.field ? this.fieldAliases[e.field] ?? e.field : undefined;
    if (id && this.fieldIds.includes(id)) {
      this.errors = { [id]: e.detail };
      void this.focusField(id);
    } else {
      this.formError = e.detail;
    }
  }

  /** A signed-in request came back 401: the session is gone; let the shell send us to sign in. */
  protected sessionEnded(e: ApiError): boolean {
    if (e.status !== 401) return false;
    fire(this, 'hearth-refresh', { notice: 'Your session ended. Sign in again to continue.' });
    return true;
  }
}
