export type Unit = 'C' | 'W' | 'rpm' | '%' | 'MHz' | 'B' | 'B/s' | 'A' | 'V' | 'J';

/** A value and where it came from, e.g. source 'hwmon:/sys/class/hwmon/hwmon2/temp1_input' or 'rapl:package-0' or 'estimate:generic'. */
export interface Reading {
  value: number;
  unit: Unit;
  source: string;
  estimated?: true;
}

/** Something looked for and not found, with the reason in words ("no power sensor on this machine"). */
export interface Absent {
  absent: true;
  reason: string;
}

export type Maybe<T> = T | Absent;

export const isAbsent = (v: unknown): v is Absent =>
  typeof v === 'object' && v !== null && (v as { absent?: unknown }).absent === true;

export type TempKind = 'cpu-package' | 'cpu-core' | 'gpu' | 'nvme' | 'chassis' | 'other';

export interface TelemetrySample {
  /** ms since epoch */
  at: number;
  cpu: { loadPct: Reading; perCorePct: number[]; freqMhz: Maybe<Reading> };
  /** bytes */
  memory: { used: Reading; total: Reading };
  /** The data dir's file system. */
  disk: Maybe<{ used: Reading; total: Reading; readBps: Reading; writeBps: Reading }>;
  /** Non-loopback interfaces together. */
  net: Maybe<{ rxBps: Reading; txBps: Reading }>;
  temperatures: { id: string; label: string; kind: TempKind; reading: Reading }[];
  fans: { id: string; label: string; reading: Reading }[];
  /** system: measured, or estimated (estimated: true), or absent. */
  power: { system: Maybe<Reading>; parts: { id: string; label: string; reading: Reading }[] };
  gpu: Maybe<{
    name: string;
    utilPct: Maybe<Reading>;
    power: Maybe<Reading>;
    temp: Maybe<Reading>;
    memUsed: Maybe<Reading>;
    memTotal: Maybe<Reading>;
  }>;
  battery: Maybe<{ percent: Reading; charging: boolean; power: Maybe<Reading> }>;
  /** Everything looked for and not found, in words: [{what: 'power', reason: 'no power sensor on this machine'}] */
  absent: { what: string; reason: string }[];
  /** CPU time this sample cost hearthd (ms) — for the bench and /metrics. */
  costMs: number;
}
