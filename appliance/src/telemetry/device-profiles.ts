import type { DeviceProfile as DeviceProfileId } from '../config/schema.js';

export type { DeviceProfileId };

export interface ThermalThresholds { warnC: number; throttleC: number; criticalC: number }

/** What the box is, for the power estimate where no sensor exists and for the default thermal thresholds. */
export interface DeviceProfile {
  id: DeviceProfileId;
  name: string;
  /** Whole-box draw at rest and flat out (W). */
  idleW: number;
  maxW: number;
  thresholds: ThermalThresholds;
}

// Nominal figures, not measurements: a small x86 box, and an RTX-class GPU box; the owner picks the closer one.
export const DEVICE_PROFILES: Record<DeviceProfileId, DeviceProfile> = {
  generic: { id: 'generic', name: 'Generic small computer', idleW: 8, maxW: 35, thresholds: { warnC: 80, throttleC: 90, criticalC: 100 } },
  'rtx-spark': { id: 'rtx-spark', name: 'RTX Spark', idleW: 30, maxW: 240, thresholds: { warnC: 85, throttleC: 95, criticalC: 105 } },
};

export function deviceProfile(id: DeviceProfileId): DeviceProfile {
  return DEVICE_PROFILES[id] ?? DEVICE_PROFILES.generic;
}
