import { css, html, nothing, type PropertyValues, type TemplateResult } from 'lit';
import { agentsApi, type AgentTrigger, type AgentView, type NewAgent, type TriggerType } from '../../data/agents.js';
import type { ShareView } from '../../data/shares.js';
import { field, formAlert, formStatus, submitButton } from '../../components/form.js';
import { dailyCron, dailyTime } from '../../components/agent-view.js';
import { agentsText } from '../../components/share-view.js';
import { fire } from '../../events.js';
import { AgentSection } from './section.js';

const DEFAULT_TIME = '07:00';

const TRIGGERS: { type: TriggerType; label: string; hint: string }[] = [
  { type: 'folder', label: 'When files arrive', hint: 'Runs for each new or changed file in the folders below.' },
  { type: 'schedule', label: 'Every day', hint: 'Runs once a day at the time you pick.' },
  { type: 'manual', label: 'Only when I run it', hint: 'Runs when you press Run now.' },
];

/**
 * An agent's settings: for a new custom agent (agent null) or an existing one. Built-in agents show
 * only what they let change: the Librarian its folders, the Briefing its time; both where notes go.
 * Tells `agent-saved` (with the server's answer) after saving.
 */
export class AgentEditor extends AgentSection {
  static override properties = {
    ...AgentSection.properties,
    agent: { attribute: false },
    shares: { attribute: false },
    name: { state: true },
    instructions: { state: true },
    triggerType: { state: true },
    time: { state: true },
    chosen: { state: true },
    noteShare: { state: true },
    noteFolder: { state: true },
    library: { state: true },
    saved: { state: true },
  };
  /** The agent edited, or null for a new custom agent. */
  declare agent: AgentView | null;
  declare shares: ShareView[];
  declare name: string;
  declare instructions: string;
  declare triggerType: TriggerType;
  /** HH:MM for a daily schedule ("" when the cron is not a daily one and was not changed). */
  declare time: string;
  declare chosen: ReadonlySet<string>;
  /** "" for no notes. */
  declare noteShare: string;
  declare noteFolder: string;
  declare library: boolean;
  declare saved: string;

  static override styles = [
    ...AgentSection.styles,
    css`
      fieldset {
        gap: 0.45rem;
      }
      legend {
        font-weight: 600;
        font-size: 0.95rem;
        padding: 0;
        margin-bottom: 0.35rem;
      }
      .check {
        color: var(--hearth-text);
        font-size: 0.95rem;
      }
      .check .muted {
        font-size: 0.85rem;
      }
      .triggers {
        display: flex;
        flex-wrap: wrap;
        gap: 0.5rem 1.5rem;
      }
      input.time {
        max-width: 10rem;
      }
      select {
        max-width: 22rem;
      }
      .two {
        display: grid;
        grid-template-columns: repeat(auto-fit, minmax(min(100%, 13rem), 1fr));
        gap: 1.15rem;
        align-items: start;
      }
    `,
  ];

  constructor() {
    super();
    this.changedEvent = 'agents-changed';
    this.fieldIds = ['agent-name', 'agent-instructions', 'agent-shares', 'agent-time', 'agent-note'];
    this.fieldAliases = { name: 'agent-name', instructions: 'agent-instructions', shares: 'agent-shares', trigger: 'agent-time', note: 'agent-note' };
    this.agent = null;
    this.shares = [];
    this.saved = '';
    this.reset();
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    // The form starts from the server's values, and follows them (the page asks again often) while not being edited.
    if (changed.has('agent') && !this.unsaved(changed.get('agent') as AgentView | null | undefined)) this.reset();
  }

  /** What the form holds for `a` (or a new agent). */
  private valuesOf(a: AgentView | null) {
    return {
      name: a?.name ?? '',
      instructions: a?.instructions ?? '',
      triggerType: a?.trigger.type ?? 'folder',
      time: a?.trigger.type === 'schedule' ? (dailyTime(a.trigger.cron) ?? '') : DEFAULT_TIME,
      chosen: new Set(a?.shares ?? []) as ReadonlySet<string>,
      noteShare: a?.note?.share ?? '',
      noteFolder: a?.note?.folder ?? '',
      library: a?.library ?? true,
    };
  }

  /** Changed here and not saved, compared with `base` (the server's last values). */
  private unsaved(base: AgentView | null | undefined): boolean {
    if (base === undefined || this.name === undefined) return false;
    const was = this.valuesOf(base);
    const now = { name: this.name, instructions: this.instructions, triggerType: this.triggerType, time: this.time, noteShare: this.noteShare, noteFolder: this.noteFolder, library: this.library };
    const { chosen, ...rest } = was;
    return JSON.stringify(rest) !== JSON.stringify(now) || [...chosen].sort().join('/') !== [...this.chosen].sort().join('/');
  }

  /** Back to the server's values (or a new agent's defaults). */
  reset(): void {
    Object.assign(this, this.valuesOf(this.agent));
    this.errors = {};
    this.formError = '';
  }

  private get kind() {
    return this.agent?.kind ?? 'custom';
  }

  private toggleShare(name: string, on: boolean): void {
    const next = new Set(this.chosen);
    if (on) next.add(name);
    else next.delete(name);
    this.chosen = next;
    this.clearError('agent-shares');
    this.saved = '';
  }

  private trigger(): AgentTrigger | null {
    if (this.triggerType !== 'schedule') return { type: this.triggerType };
    const old = this.agent?.trigger.type === 'schedule' ? this.agent.trigger : null;
    // A schedule that is not a daily one (set with the CLI, say) stays as it is until a time is picked.
    const cron = this.time === '' && old ? old.cron : dailyCron(this.time);
    if (!cron) return null;
    return { type: 'schedule', cron, timezone: old?.timezone ?? null, catchUp: old?.catchUp ?? true };
  }

  private async submit(e: Event): Promise<void> {
    e.preventDefault();
    this.saved = '';
    const custom = this.kind === 'custom';
    const trigger = this.trigger();
    const shares = this.shares.map((s) => s.name).filter((n) => this.chosen.has(n));
    const errors: Record<string, string> = {};
    if (custom && this.name.trim() === '') errors['agent-name'] = 'Name the agent, like “Receipts” or “Weekly review”.';
    if (custom && this.instructions.trim() === '') errors['agent-instructions'] = 'Say what the agent should do with what it reads.';
    if (!trigger) errors['agent-time'] = 'Pick the time of day, like 07:00.';
    if (shares.length === 0 && (custom || this.triggerType === 'folder'))
      errors['agent-shares'] = this.triggerType === 'folder' ? 'Tick at least one folder to watch.' : 'Tick at least one folder it may read.';
    if (this.showFieldErrors(errors) || !trigger) return;
    const note = this.noteShare ? { share: this.noteShare, folder: this.noteFolder.trim() } : null;
    const body: NewAgent = { name: this.name.trim(), instructions: this.instructions.trim(), trigger, shares, note, library: this.library };
    const a = this.agent;
    const result = await this.run(() => {
      if (!a) return agentsApi.create(body);
      // Built-in agents keep their name, instructions and kind of trigger.
      return agentsApi.update(a.id, a.kind === 'custom' ? body : a.kind === 'briefing' ? { trigger, note } : { shares, note });
    });
    if (!result) return;
    this.saved = a ? 'Saved.' : '';
    fire(this, 'agents-changed', {});
    this.dispatchEvent(new CustomEvent('agent-saved', { detail: { agent: result, created: !a }, bubbles: true, composed: true }));
  }

  private shareChoice(s: ShareView): TemplateResult {
    const id = `share-${this.agent?.id ?? 'new'}-${s.name}`;
    const ticked = this.chosen.has(s.name);
    return html`<label class="check" for=${id}
      ><input type="checkbox" id=${id} .checked=${ticked} ?disabled=${s.agents === 'none' && !ticked} @change=${(e: Event) =>
        this.toggleShare(s.name, (e.target as HTMLInputElement).checked)} />
      ${s.name} <span class="muted">${agentsText(s.agents)}</span></label
    >`;
  }

  private sharesField(): TemplateResult {
    const folder = this.triggerType === 'folder';
    const error = this.errors['agent-shares'];
    return html`<fieldset id="agent-shares" tabindex="-1" aria-describedby=${error ? 'agent-shares-error' : nothing}>
      <legend>${folder ? 'Folders to watch' : 'Folders it may read'}</legend>
      ${this.shares.length ? this.shares.map((s) => this.shareChoice(s)) : html`<p class="hint">No shared folders yet: add one on the Shares page.</p>`}
      ${error ? html`<p class="error" id="agent-shares-error" role="alert">${error}</p>` : nothing}
      ${this.shares.some((s) => s.agents === 'none')
        ? html`<p class="hint">Agents cannot use a folder until you allow it, in its settings on the <a href="/shares">Shares page</a>.</p>`
        : nothing}
    </fieldset>`;
  }

  private timeField(): TemplateResult {
    const old = this.agent?.trigger.type === 'schedule' ? this.agent.trigger : null;
    return field({
      id: 'agent-time',
      label: 'Time of day',
      type: 'time',
      value: this.time,
      inputClass: 'time',
      hint: old && this.time === '' ? html`Now on the schedule <code>${old.cron}</code>; pick a time to run it every day instead.` : 'In the box’s time zone.',
      error: this.errors['agent-time'],
      onInput: (v) => {
        this.time = v;
        this.clearError('agent-time');
        this.saved = '';
      },
    });
  }

  private noteField(): TemplateResult {
    const writable = this.shares.filter((s) => s.agents === 'read-write' || s.name === this.noteShare);
    return html`<div class="two">
      <div class="field">
        <label for="agent-note">Write a note to</label>
        <select
          id="agent-note"
          aria-describedby="agent-note-hint"
          @change=${(e: Event) => {
            this.noteShare = (e.target as HTMLSelectElement).value;
            this.saved = '';
          }}
        >
          <option value="" ?selected=${this.noteShare === ''}>No notes</option>
          ${writable.map((s) => html`<option value=${s.name} ?selected=${this.noteShare === s.name}>${s.name}</option>`)}
        </select>
        <p class="hint" id="agent-note-hint">A Markdown file per result, in a folder agents may write to. Your own files are never overwritten.</p>
      </div>
      ${this.noteShare
        ? field({
            id: 'agent-note-folder',
            label: html`Folder in ${this.noteShare} <span class="optional">(optional)</span>`,
            value: this.noteFolder,
            placeholder: 'Briefings',
            autocomplete: 'off',
            maxlength: 200,
            onInput: (v) => {
              this.noteFolder = v;
              this.saved = '';
            },
          })
        : nothing}
    </div>`;
  }

  private customFields(): TemplateResult {
    return html`${field({
        id: 'agent-name',
        label: 'Name',
        value: this.name,
        placeholder: 'Receipts',
        autocomplete: 'off',
        maxlength: 64,
        error: this.errors['agent-name'],
        onInput: this.setter('name', 'agent-name'),
      })}
      ${field({
        id: 'agent-instructions',
        label: 'Instructions',
        rows: 5,
        value: this.instructions,
        maxlength: 4000,
        placeholder: 'From each receipt, note the shop, the date and the total, and tag it with the kind of expense.',
        hint: 'What it reads is treated as data, never as orders: a document cannot make the agent do anything else.',
        error: this.errors['agent-instructions'],
        onInput: this.setter('instructions', 'agent-instructions'),
      })}
      <fieldset>
        <legend>When it runs</legend>
        <div class="triggers">
          ${TRIGGERS.map(
            (t) => html`<label class="check" title=${t.hint}
              ><input type="radio" name="trigger-${this.agent?.id ?? 'new'}" .checked=${this.triggerType === t.type} @change=${() => {
                this.triggerType = t.type;
                this.errors = {};
              }} />
              ${t.label}</label
            >`,
          )}
        </div>
        <p class="hint">${TRIGGERS.find((t) => t.type === this.triggerType)?.hint}</p>
      </fieldset>
      ${this.triggerType === 'schedule' ? this.timeField() : nothing} ${this.sharesField()} ${this.noteField()}
      <label class="check"
        ><input type="checkbox" .checked=${this.library} @change=${(e: Event) => (this.library = (e.target as HTMLInputElement).checked)} />
        Keep the results in the Library (searchable, and used to answer questions)</label
      >`;
  }

  protected override render() {
    const a = this.agent;
    const kind = this.kind;
    return html`<form novalidate @submit=${this.submit}>
      ${formAlert(this.formError, `agent-form-error-${a?.id ?? 'new'}`)} ${formStatus(this.saved)}
      ${kind === 'custom' ? this.customFields() : kind === 'briefing' ? html`${this.timeField()} ${this.noteField()}` : html`${this.sharesField()} ${this.noteField()}`}
      <div class="actions">
        <slot name="cancel"></slot>
        ${submitButton(a ? 'Save settings' : 'Create agent', a ? 'Saving…' : 'Creating…', this.busy)}
      </div>
    </form>`;
  }
}
customElements.define('hearth-agent-editor', AgentEditor);

declare global {
  interface HTMLElementTagNameMap {
    'hearth-agent-editor': AgentEditor;
  }
}
