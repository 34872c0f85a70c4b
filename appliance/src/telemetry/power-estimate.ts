import type { DeviceProfile } from './device-profiles.js';
import { round } from './sysfs.js';
import type { Maybe, Reading } from './types.js';

/** Whole-box power from CPU load and the profile: idle + load × (max − idle). Always labelled an estimate. */
export function estimateSystemPower(profile: DeviceProfile, loadPct: number): Reading {
  const load = Math.min(1, Math.max(0, loadPct / 100));
  return { value: round(profile.idleW + load * (profile.maxW - profile.idleW), 1), unit: 'W', source: `estimate:${profile.id}`, estimated: true };
}

/**
 * The system power to report: the measurement when there is one; else the profile's estimate when one is asked for;
 * else the absence as it is (never 0 W).
 */
export function systemPower(measured: Maybe<Reading>, loadPct: number, profile: DeviceProfile | null): Maybe<Reading> {
  if (!('absent' in measured)) return measured;
  if (profile === null) return measured;
  // An estimate while a real sensor is only warming up would be replaced a second later; say "measuring" instead.
  if (measured.reason.startsWith('measuring')) return measured;
  return estimateSystemPower(profile, loadPct);
}
