import { css, html, nothing, type PropertyValues, type TemplateResult } from 'lit';
import { field, formAlert, formStatus, submitButton } from '../../components/form.js';
import { icon } from '../../components/icons.js';
import { telemetryApi, type DeviceProfile, type DeviceProfileId, type TelemetrySettings, type TelemetrySettingsView, type ThermalThresholds } from '../../data/telemetry.js';
import { fire } from '../../events.js';
import { SettingsForm } from './settings-form.js';

// The owner's telemetry settings on the Settings page, one card per part, each saved on its own
// (PUT /api/telemetry/settings with that card's fields): power and cost, temperature, quiet hours and alerts.
// A 400 names the field at fault ("tariff.pricePerKwh"); its detail shows next to that input.

/** A number typed in a field, or null when it is empty or not a number. */
function numberOf(value: string): number | null {
  const v = value.trim().replace(',', '.');
  if (v === '') return null;
  const n = Number(v);
  return Number.isFinite(n) ? n : null;
}

const text = (n: number | undefined | null): string => (n === undefined || n === null ? '' : String(n));

/** The profile a view names (the first one when it names none the server knows). */
export function profileOf(view: TelemetrySettingsView, id: DeviceProfileId = view.settings.profile): DeviceProfile {
  return view.profiles.find((p) => p.id === id) ?? view.profiles[0]!;
}

const thresholdsText = (t: ThermalThresholds): string => `warn ${t.warnC}, throttle ${t.throttleC}, critical ${t.criticalC} °C`;

/**
 * Base for a telemetry settings card: the form starts from the server's view and follows it while
 * not being edited; Save sends this card's fields only and hands the answer to the other cards.
 */
abstract class TelemetryCard extends SettingsForm {
  static override properties = {
    ...SettingsForm.properties,
    view: { attribute: false },
  };
  declare view: TelemetrySettingsView;
  /** Edited since the form was last filled from the server's view. */
  protected dirty = false;

  static override styles = [
    ...SettingsForm.styles,
    css`
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
      /* Fields side by side while there is room, one per row on a phone. */
      .cols {
        display: grid;
        grid-template-columns: repeat(auto-fit, minmax(min(100%, 10.5rem), 1fr));
        gap: 1.15rem;
        align-items: start;
      }
      .switch-label {
        white-space: normal;
      }
      select {
        max-width: 26rem;
      }
      input[type='time'] {
        max-width: 10rem;
      }
      .levels {
        margin: 0;
        padding-left: 1.2rem;
        display: grid;
        gap: 0.25rem;
        color: var(--hearth-muted);
        font-size: 0.92rem;
      }
      .levels strong {
        color: var(--hearth-text);
      }
    `,
  ];

  /** Fill the form from `this.view`. */
  protected abstract fill(): void;
  /** This card's fields as the server takes them, or null when a field is at fault here (shown). */
  protected abstract changes(): Partial<TelemetrySettings> | null;
  /** What the card says once saved. */
  protected abstract savedText(view: TelemetrySettingsView): string;

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('view') && this.view && !this.dirty) this.fill();
  }

  protected override edited(id: string): void {
    this.dirty = true;
    super.edited(id);
  }

  /** An `onInput` that keeps the value and notes the edit. */
  protected input(set: (v: string) => void, id: string): (v: string) => void {
    return (v) => {
      set(v);
      this.edited(id);
    };
  }

  protected async submit(e: Event): Promise<void> {
    e.preventDefault();
    this.saved = '';
    const changes = this.changes();
    if (!changes) return;
    const view = await this.run(() => telemetryApi.saveSettings(changes));
    if (!view) return;
    this.dirty = false;
    this.view = view;
    this.fill();
    this.saved = this.savedText(view);
    fire(this, 'telemetry-settings-changed', { view });
  }

  /** The card: its heading, the lines under it, the fields, and Save. */
  protected card(o: { id: string; icon: Parameters<typeof icon>[0]; title: string; lead: TemplateResult | string; fields: TemplateResult; save: string }): TemplateResult {
    return html`<section class="card" aria-labelledby="${o.id}-title" data-testid="${o.id}">
      <h2 id="${o.id}-title">${icon(o.icon, 20)} ${o.title}</h2>
      <p>${o.lead}</p>
      <form novalidate @submit=${this.submit}>
        ${formAlert(this.formError, `${o.id}-error`)} ${o.fields} ${formStatus(this.saved)}
        <div class="actions">${submitButton(o.save, 'Saving…', this.busy)}</div>
      </form>
    </section>`;
  }

  /** An on/off switch with its words. */
  protected switchField(id: string, label: string, on: boolean, set: (on: boolean) => void): TemplateResult {
    return html`<label class="switch-label" for=${id}
      ><input
        type="checkbox"
        role="switch"
        class="switch"
        id=${id}
        .checked=${on}
        @change=${(e: Event) => {
          set((e.target as HTMLInputElement).checked);
          this.errors = {};
          this.edited(id);
        }}
      /><span>${label}</span></label
    >`;
  }
}

/** Power and cost: the electricity price (with off-peak hours, optionally) and the device profile. */
export class SettingsPower extends TelemetryCard {
  static override properties = {
    ...TelemetryCard.properties,
    currency: { state: true },
    price: { state: true },
    offPeak: { state: true },
    offStart: { state: true },
    offEnd: { state: true },
    offPrice: { state: true },
    profile: { state: true },
  };
  declare currency: string;
  declare price: string;
  declare offPeak: boolean;
  declare offStart: string;
  declare offEnd: string;
  declare offPrice: string;
  declare profile: DeviceProfileId;

  constructor() {
    super();
    this.fieldIds = ['tariff-currency', 'tariff-price', 'offpeak-start', 'offpeak-end', 'offpeak-price', 'profile'];
    this.fieldAliases = {
      'tariff.currency': 'tariff-currency',
      'tariff.pricePerKwh': 'tariff-price',
      tariff: 'tariff-price',
      'tariff.offPeak': 'offpeak-start',
      'tariff.offPeak.start': 'offpeak-start',
      'tariff.offPeak.end': 'offpeak-end',
      'tariff.offPeak.pricePerKwh': 'offpeak-price',
    };
  }

  protected fill(): void {
    const { tariff, profile } = this.view.settings;
    this.currency = tariff.currency;
    this.price = text(tariff.pricePerKwh);
    this.offPeak = tariff.offPeak !== null;
    this.offStart = tariff.offPeak?.start ?? '23:00';
    this.offEnd = tariff.offPeak?.end ?? '07:00';
    this.offPrice = text(tariff.offPeak?.pricePerKwh);
    this.profile = profile;
  }

  protected changes(): Partial<TelemetrySettings> | null {
    const errors: Record<string, string> = {};
    const currency = this.currency.trim();
    const price = numberOf(this.price);
    const offPrice = numberOf(this.offPrice);
    if (currency === '') errors['tariff-currency'] = 'Give the currency, like EUR or USD.';
    if (price === null) errors['tariff-price'] = 'Give the price of a kWh, like 0.30.';
    if (this.offPeak) {
      if (this.offStart === '') errors['offpeak-start'] = 'Pick when off-peak hours start, like 23:00.';
      if (this.offEnd === '') errors['offpeak-end'] = 'Pick when off-peak hours end, like 07:00.';
      if (offPrice === null) errors['offpeak-price'] = 'Give the off-peak price of a kWh, like 0.18.';
    }
    if (this.showFieldErrors(errors)) return null;
    return {
      tariff: { currency, pricePerKwh: price!, offPeak: this.offPeak ? { start: this.offStart, end: this.offEnd, pricePerKwh: offPrice! } : null },
      profile: this.profile,
    };
  }

  protected savedText(view: TelemetrySettingsView): string {
    const t = view.settings.tariff;
    const off = t.offPeak ? `, ${t.offPeak.pricePerKwh} ${t.currency} from ${t.offPeak.start} to ${t.offPeak.end}` : '';
    return `Saved: ${t.pricePerKwh} ${t.currency} per kWh${off}; ${profileOf(view).name}.`;
  }

  protected override render() {
    if (!this.view) return nothing;
    const chosen = profileOf(this.view, this.profile);
    const fields = html`<div class="cols">
        ${field({
          id: 'tariff-price',
          label: 'Price per kWh',
          type: 'number',
          value: this.price,
          suffix: this.currency.trim() || '—',
          min: 0,
          max: 100,
          step: 'any',
          inputmode: 'decimal',
          error: this.errors['tariff-price'],
          onInput: this.input((v) => (this.price = v), 'tariff-price'),
        })}
        ${field({
          id: 'tariff-currency',
          label: 'Currency',
          value: this.currency,
          maxlength: 8,
          plain: true,
          autocapitalize: 'characters',
          autocomplete: 'off',
          hint: 'Shown with the cost, like EUR.',
          error: this.errors['tariff-currency'],
          onInput: this.input((v) => (this.currency = v), 'tariff-currency'),
        })}
      </div>
      <fieldset>
        <legend class="visually-hidden">Off-peak hours</legend>
        ${this.switchField('offpeak', 'Off-peak hours at another price', this.offPeak, (on) => (this.offPeak = on))}
        ${this.offPeak
          ? html`<div class="cols">
              ${field({
                id: 'offpeak-start',
                label: 'From',
                type: 'time',
                value: this.offStart,
                error: this.errors['offpeak-start'],
                onInput: this.input((v) => (this.offStart = v), 'offpeak-start'),
              })}
              ${field({
                id: 'offpeak-end',
                label: 'Until',
                type: 'time',
                value: this.offEnd,
                error: this.errors['offpeak-end'],
                onInput: this.input((v) => (this.offEnd = v), 'offpeak-end'),
              })}
              ${field({
                id: 'offpeak-price',
                label: 'Off-peak price',
                type: 'number',
                value: this.offPrice,
                suffix: `${this.currency.trim() || '—'}/kWh`,
                min: 0,
                max: 100,
                step: 'any',
                inputmode: 'decimal',
                error: this.errors['offpeak-price'],
                onInput: this.input((v) => (this.offPrice = v), 'offpeak-price'),
              })}
            </div>
            <p class="hint">In the box’s time zone; the window may run past midnight.</p>`
          : nothing}
      </fieldset>
      <div class="field">
        <label for="profile">Device profile</label>
        <select
          id="profile"
          aria-describedby="profile-hint"
          aria-invalid=${this.errors['profile'] ? 'true' : 'false'}
          @change=${(e: Event) => {
            this.profile = (e.target as HTMLSelectElement).value as DeviceProfileId;
            this.edited('profile');
          }}
        >
          ${this.view.profiles.map((p) => html`<option value=${p.id} ?selected=${p.id === this.profile}>${p.name}</option>`)}
        </select>
        ${this.errors['profile'] ? html`<p class="error" id="profile-error" role="alert">${icon('alert', 16)}<span>${this.errors['profile']}</span></p>` : nothing}
        <p class="hint" id="profile-hint" data-testid="profile-watts">
          Nominal ${chosen.idleW} W at rest, ${chosen.maxW} W flat out. Used for power estimates only where the box has no power sensor; a
          sensor’s reading always comes first. It also gives the default temperature thresholds.
        </p>
      </div>`;
    return this.card({
      id: 'power',
      icon: 'energy',
      title: 'Power and cost',
      lead: 'What your electricity costs, so the dashboard can put a price on the energy used.',
      fields,
      save: 'Save power and cost',
    });
  }
}

/** Temperature: the thresholds in force (the profile's, or the owner's) and the sampling interval. */
export class SettingsTemperature extends TelemetryCard {
  static override properties = {
    ...TelemetryCard.properties,
    own: { state: true },
    warn: { state: true },
    throttle: { state: true },
    critical: { state: true },
    interval: { state: true },
  };
  declare own: boolean;
  declare warn: string;
  declare throttle: string;
  declare critical: string;
  declare interval: string;

  constructor() {
    super();
    this.fieldIds = ['warn-c', 'throttle-c', 'critical-c', 'thresholds', 'interval'];
    this.fieldAliases = { 'thresholds.warnC': 'warn-c', 'thresholds.throttleC': 'throttle-c', 'thresholds.criticalC': 'critical-c', intervalSeconds: 'interval' };
  }

  protected fill(): void {
    const { settings, thresholds } = this.view;
    this.own = settings.thresholds !== null;
    this.setLevels(thresholds);
    this.interval = text(settings.intervalSeconds);
  }

  /** The order of the thresholds is at fault: the first of them takes the focus. */
  protected override focusField(id: string): Promise<void> {
    return super.focusField(id === 'thresholds' ? 'warn-c' : id);
  }

  private setLevels(t: ThermalThresholds): void {
    this.warn = text(t.warnC);
    this.throttle = text(t.throttleC);
    this.critical = text(t.criticalC);
  }

  protected changes(): Partial<TelemetrySettings> | null {
    const errors: Record<string, string> = {};
    const interval = numberOf(this.interval);
    if (interval === null) errors['interval'] = 'Give the seconds between readings, from 1 to 60.';
    const levels = { warnC: numberOf(this.warn), throttleC: numberOf(this.throttle), criticalC: numberOf(this.critical) };
    if (this.own) {
      if (levels.warnC === null) errors['warn-c'] = 'Give the warning temperature in °C.';
      if (levels.throttleC === null) errors['throttle-c'] = 'Give the throttle temperature in °C.';
      if (levels.criticalC === null) errors['critical-c'] = 'Give the critical temperature in °C.';
    }
    if (this.showFieldErrors(errors)) return null;
    return { thresholds: this.own ? (levels as ThermalThresholds) : null, intervalSeconds: interval! };
  }

  protected savedText(view: TelemetrySettingsView): string {
    const whose = view.settings.thresholds ? 'your own' : `the ${profileOf(view).name} profile’s`;
    return `Saved: ${whose} thresholds (${thresholdsText(view.thresholds)}), a reading every ${view.settings.intervalSeconds} s.`;
  }

  private levelField(id: string, label: string, value: string, set: (v: string) => void, hint: string): TemplateResult {
    return field({
      id,
      label,
      type: 'number',
      value,
      min: 30,
      max: 130,
      step: 'any',
      inputmode: 'decimal',
      suffix: '°C',
      disabled: !this.own,
      hint,
      describedBy: this.errors['thresholds'] ? 'thresholds-error' : undefined,
      error: this.errors[id],
      onInput: this.input(set, id),
    });
  }

  protected override render() {
    if (!this.view) return nothing;
    const profile = profileOf(this.view);
    const error = this.errors['thresholds'];
    const fields = html`<fieldset>
        <legend>Thresholds</legend>
        <label class="check"
          ><input
            type="radio"
            name="thresholds-source"
            .checked=${!this.own}
            @change=${() => {
              this.own = false;
              this.setLevels(profile.thresholds);
              this.errors = {};
              this.edited('thresholds');
            }}
          />
          The ${profile.name} profile’s (${thresholdsText(profile.thresholds)})</label
        >
        <label class="check"
          ><input
            type="radio"
            name="thresholds-source"
            .checked=${this.own}
            @change=${() => {
              this.own = true;
              this.errors = {};
              this.edited('thresholds');
            }}
          />
          My own</label
        >
        <div class="cols">
          ${this.levelField('warn-c', 'Warn at', this.warn, (v) => (this.warn = v), 'You get an alert.')}
          ${this.levelField('throttle-c', 'Throttle at', this.throttle, (v) => (this.throttle = v), 'Background agents pause; the model uses fewer threads.')}
          ${this.levelField('critical-c', 'Critical at', this.critical, (v) => (this.critical = v), 'Background work stops and you are alerted.')}
        </div>
        ${error ? html`<p class="error" id="thresholds-error" role="alert">${icon('alert', 16)}<span>${error}</span></p>` : nothing}
      </fieldset>
      ${field({
        id: 'interval',
        label: 'Read the sensors every',
        type: 'number',
        value: this.interval,
        min: 1,
        max: 60,
        inputmode: 'numeric',
        suffix: 'seconds',
        hint: 'From 1 to 60 seconds. Less often is a little lighter on the box.',
        error: this.errors['interval'],
        onInput: this.input((v) => (this.interval = v), 'interval'),
      })}`;
    return this.card({
      id: 'temperature',
      icon: 'thermometer',
      title: 'Temperature',
      lead: html`In force now: <strong data-testid="thresholds-in-force">${thresholdsText(this.view.thresholds)}</strong>, measured at the hottest sensor.`,
      fields,
      save: 'Save temperature',
    });
  }
}

/** Quiet hours for heavy background work, and where alerts go besides this page. */
export class SettingsQuiet extends TelemetryCard {
  static override properties = {
    ...TelemetryCard.properties,
    quiet: { state: true },
    start: { state: true },
    end: { state: true },
    backlog: { state: true },
    webhook: { state: true },
    ntfy: { state: true },
  };
  declare quiet: boolean;
  declare start: string;
  declare end: string;
  declare backlog: string;
  declare webhook: string;
  declare ntfy: string;

  constructor() {
    super();
    this.fieldIds = ['quiet-start', 'quiet-end', 'quiet-backlog', 'webhook-url', 'ntfy-url'];
    this.fieldAliases = {
      quietHours: 'quiet-start',
      'quietHours.start': 'quiet-start',
      'quietHours.end': 'quiet-end',
      'quietHours.backlog': 'quiet-backlog',
      'alerts.webhookUrl': 'webhook-url',
      'alerts.ntfyUrl': 'ntfy-url',
    };
  }

  protected fill(): void {
    const { quietHours, alerts } = this.view.settings;
    this.quiet = quietHours !== null;
    this.start = quietHours?.start ?? '22:00';
    this.end = quietHours?.end ?? '06:00';
    this.backlog = text(quietHours?.backlog ?? 20);
    this.webhook = alerts.webhookUrl ?? '';
    this.ntfy = alerts.ntfyUrl ?? '';
  }

  protected changes(): Partial<TelemetrySettings> | null {
    const errors: Record<string, string> = {};
    const backlog = numberOf(this.backlog);
    if (this.quiet) {
      if (this.start === '') errors['quiet-start'] = 'Pick when quiet hours start, like 22:00.';
      if (this.end === '') errors['quiet-end'] = 'Pick when quiet hours end, like 06:00.';
      if (backlog === null) errors['quiet-backlog'] = 'Give the number of waiting jobs, like 20.';
    }
    if (this.showFieldErrors(errors)) return null;
    const url = (v: string) => (v.trim() === '' ? null : v.trim());
    return {
      quietHours: this.quiet ? { start: this.start, end: this.end, backlog: backlog! } : null,
      alerts: { webhookUrl: url(this.webhook), ntfyUrl: url(this.ntfy) },
    };
  }

  protected savedText(view: TelemetrySettingsView): string {
    const q = view.settings.quietHours;
    const a = view.settings.alerts;
    const to = [a.webhookUrl ? 'your webhook' : '', a.ntfyUrl ? 'your ntfy topic' : ''].filter(Boolean).join(' and ');
    return `Saved: ${q ? `heavy work waits for ${q.start}–${q.end}` : 'no quiet hours'}; alerts show here${to ? ` and go to ${to}` : ' only'}.`;
  }

  protected override render() {
    if (!this.view) return nothing;
    const fields = html`<fieldset>
        <legend class="visually-hidden">Quiet hours</legend>
        ${this.switchField('quiet', 'Hold heavy background work to quiet hours', this.quiet, (on) => (this.quiet = on))}
        ${this.quiet
          ? html`<div class="cols">
                ${field({
                  id: 'quiet-start',
                  label: 'From',
                  type: 'time',
                  value: this.start,
                  error: this.errors['quiet-start'],
                  onInput: this.input((v) => (this.start = v), 'quiet-start'),
                })}
                ${field({
                  id: 'quiet-end',
                  label: 'Until',
                  type: 'time',
                  value: this.end,
                  error: this.errors['quiet-end'],
                  onInput: this.input((v) => (this.end = v), 'quiet-end'),
                })}
              </div>
              ${field({
                id: 'quiet-backlog',
                label: 'Heavy means more than',
                type: 'number',
                value: this.backlog,
                min: 1,
                max: 100000,
                inputmode: 'numeric',
                suffix: 'jobs waiting',
                hint: 'Outside quiet hours a bigger backlog waits; a smaller one runs at any time.',
                error: this.errors['quiet-backlog'],
                onInput: this.input((v) => (this.backlog = v), 'quiet-backlog'),
              })}`
          : html`<p class="hint">Off: background work runs whenever it comes.</p>`}
      </fieldset>
      <fieldset>
        <legend>Alerts</legend>
        <p class="hint">
          Alerts always show in the bell at the top of this page. They go nowhere else unless you give an address here, and then only there.
        </p>
        ${field({
          id: 'webhook-url',
          label: html`Webhook URL <span class="optional">(optional)</span>`,
          value: this.webhook,
          inputmode: 'url',
          plain: true,
          autocomplete: 'off',
          placeholder: 'https://example.com/hearth-alerts',
          hint: 'Each alert is sent there as JSON in a POST.',
          error: this.errors['webhook-url'],
          onInput: this.input((v) => (this.webhook = v), 'webhook-url'),
        })}
        ${field({
          id: 'ntfy-url',
          label: html`ntfy topic URL <span class="optional">(optional)</span>`,
          value: this.ntfy,
          inputmode: 'url',
          plain: true,
          autocomplete: 'off',
          placeholder: 'https://ntfy.sh/your-topic',
          hint: 'The ntfy app on your phone then shows each alert.',
          error: this.errors['ntfy-url'],
          onInput: this.input((v) => (this.ntfy = v), 'ntfy-url'),
        })}
      </fieldset>`;
    return this.card({
      id: 'quiet',
      icon: 'bell',
      title: 'Quiet hours and alerts',
      lead: 'When big batches of background work may run, and where alerts are sent.',
      fields,
      save: 'Save quiet hours and alerts',
    });
  }
}

customElements.define('hearth-settings-power', SettingsPower);
customElements.define('hearth-settings-temperature', SettingsTemperature);
customElements.define('hearth-settings-quiet', SettingsQuiet);

declare global {
  interface HTMLElementTagNameMap {
    'hearth-settings-power': SettingsPower;
    'hearth-settings-temperature': SettingsTemperature;
    'hearth-settings-quiet': SettingsQuiet;
  }
}
