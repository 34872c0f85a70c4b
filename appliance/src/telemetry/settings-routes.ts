import { Router } from '@koa/router';
import type { ConfigStore } from '../config/config-store.js';
import { telemetrySchema, type TelemetrySettings } from '../config/schema.js';
import { bodyObject, ownerOnly } from '../http/middleware.js';
import { badRequest } from '../http/problem.js';
import { DEVICE_PROFILES, deviceProfile } from './device-profiles.js';
import { governorThresholds } from './governor.js';

const FIELDS = ['intervalSeconds', 'profile', 'tariff', 'thresholds', 'quietHours', 'alerts'] as const;

export function settingsView(settings: TelemetrySettings) {
  const profile = deviceProfile(settings.profile);
  return {
    settings,
    /** The thresholds in force: the owner's, or the profile's. */
    thresholds: governorThresholds(settings, profile.thresholds),
    profiles: Object.values(DEVICE_PROFILES),
  };
}

/**
 * The owner's telemetry settings, checked whole before anything is stored: a bad field is a 400
 * naming it, and config.json stays as it was.
 */
export function checkTelemetrySettings(current: TelemetrySettings, input: Record<string, unknown>): TelemetrySettings {
  const unknown = Object.keys(input).filter((k) => !(FIELDS as readonly string[]).includes(k));
  if (unknown.length) throw badRequest(`Unknown setting ${unknown.map((k) => `"${k}"`).join(', ')}; the settings are ${FIELDS.join(', ')}.`, { field: unknown[0]! });
  const merged: Record<string, unknown> = { ...current };
  for (const k of FIELDS) if (input[k] !== undefined) merged[k] = input[k];
  const parsed = telemetrySchema.safeParse(merged);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = issue.path.join('.');
    throw badRequest(`${field || 'settings'}: ${explain(field, issue.message)}`, { field });
  }
  const s = parsed.data;
  if (s.thresholds && !(s.thresholds.warnC < s.thresholds.throttleC && s.thresholds.throttleC < s.thresholds.criticalC)) {
    throw badRequest('thresholds: warn must be below throttle, and throttle below critical (°C).', { field: 'thresholds' });
  }
  for (const [name, url] of Object.entries(s.alerts)) {
    if (url !== null && !/^https?:\/\//i.test(url as string)) throw badRequest(`alerts.${name}: give an http:// or https:// address.`, { field: `alerts.${name}` });
  }
  return s;
}

/** The rule a field breaks, in words a person can act on (zod's own messages are for programmers). */
function explain(field: string, message: string): string {
  if (field === 'intervalSeconds') return 'a whole number of seconds from 1 to 60.';
  if (field === 'profile') return `one of ${Object.keys(DEVICE_PROFILES).join(', ')}.`;
  if (/\.(start|end)$/.test(field)) return 'a time of day as HH:MM (24-hour), e.g. 22:00.';
  if (field.startsWith('thresholds.')) return field.endsWith('criticalC') ? 'a temperature from 30 to 130 °C.' : 'a temperature from 30 to 120 °C.';
  if (field.endsWith('pricePerKwh')) return 'a price per kWh from 0 to 100.';
  if (field === 'tariff.currency') return 'a currency of 1 to 8 characters, e.g. EUR.';
  if (field === 'quietHours.backlog') return 'a whole number of waiting jobs from 1 to 100000.';
  if (field.startsWith('alerts.')) return 'a web address starting with http:// or https://, or nothing.';
  return message;
}

export function telemetrySettingsRoutes(config: ConfigStore): Router {
  const r = new Router();
  r.use('/telemetry/settings', ownerOnly);
  r.get('/telemetry/settings', (ctx) => {
    ctx.body = settingsView(config.data.telemetry);
  });
  r.put('/telemetry/settings', async (ctx) => {
    const next = checkTelemetrySettings(config.data.telemetry, bodyObject(ctx));
    await config.update((c) => void (c.telemetry = next));
    ctx.body = settingsView(config.data.telemetry);
  });
  return r;
}
