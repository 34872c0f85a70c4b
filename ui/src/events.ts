import type { DeviceView, PullResult, SetupState } from './data/api.js';
import type { TelemetrySettingsView } from './data/telemetry.js';

// Views report upward with these events; the app shell and the wizard own what happens next.
export interface HearthEvents {
  /**
   * A wizard step is done; `state` is the server's answer when the step changed it. The owner step
   * hands up the password just chosen, so the share step may offer it for SMB (kept in memory only).
   */
  'step-done': { state?: SetupState; ownerPassword?: string };
  /** Go back one wizard step. */
  'step-back': Record<string, never>;
  /** The server sent a new setup state: the shell applies it. */
  'hearth-state': { state: SetupState };
  /** Ask the server where we are again (after sign in or out, or an expired session); `notice` is shown after. */
  'hearth-refresh': { notice?: string; signedOut?: boolean };
  /** The owner asked for a factory reset: the shell shows that the box is resetting. */
  'factory-reset': { factoryHostname: string; message: string };
  /** The box was renamed. */
  'device-changed': { device: DeviceView };
  /** A model download started (or the demo model was made): `name` is the model's. */
  'model-pulled': { result: PullResult; name: string };
  /** Something on the Models page changed what the server holds: ask it again. */
  'models-changed': Record<string, never>;
  /** Something on the Shares page changed what the server holds: ask it again. */
  'shares-changed': Record<string, never>;
  /** Something on the Agents page changed what the server holds: ask it again. */
  'agents-changed': Record<string, never>;
  /** Something in the library changed (an action item done, a fact forgotten): views that show it ask again. */
  'library-changed': Record<string, never>;
  /** A settings card saved the telemetry settings: the server's answer, for the other cards. */
  'telemetry-settings-changed': { view: TelemetrySettingsView };
}

export function fire<K extends keyof HearthEvents>(from: EventTarget, type: K, detail: HearthEvents[K]): void {
  from.dispatchEvent(new CustomEvent(type, { detail, bubbles: true, composed: true }));
}

export type HearthEvent<K extends keyof HearthEvents> = CustomEvent<HearthEvents[K]>;
