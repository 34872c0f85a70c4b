/**
 * Download speed as an exponentially weighted moving average, so one slow or bursty
 * second does not make the estimate jump. Time is passed in, which keeps it testable.
 */
export class RateMeter {
  private lastAt: number | null = null;
  private lastBytes = 0;
  private lastByteAt: number | null = null;
  private smoothed = 0;
  private hasRate = false;

  /**
   * @param windowMs roughly how far back the average looks (the EWMA time constant)
   * @param minIntervalMs samples closer together than this are merged, so tiny chunks do not skew the rate
   */
  constructor(
    private readonly windowMs = 3000,
    private readonly minIntervalMs = 200,
  ) {}

  /** Start over from `bytes` (a new attempt or a resume: bytes already on disk are no speed). */
  reset(bytes: number, now: number): void {
    this.lastAt = now;
    this.lastBytes = bytes;
    this.lastByteAt = null;
    this.smoothed = 0;
    this.hasRate = false;
  }

  /** Record that `bytes` in total have arrived by `now`. */
  sample(bytes: number, now: number): void {
    if (this.lastAt === null || bytes < this.lastBytes) {
      this.reset(bytes, now);
      return;
    }
    if (bytes > this.lastBytes) this.lastByteAt = now;
    const dt = now - this.lastAt;
    if (dt < this.minIntervalMs) return;
    const instant = ((bytes - this.lastBytes) * 1000) / dt;
    if (!this.hasRate) {
      this.smoothed = instant;
      this.hasRate = true;
    } else {
      const alpha = 1 - Math.exp(-dt / this.windowMs);
      this.smoothed += alpha * (instant - this.smoothed);
    }
    this.lastAt = now;
    this.lastBytes = bytes;
  }

  /** Bytes per second at `now`; decays towards zero while nothing arrives, so a stalled download shows it. */
  rate(now: number): number {
    if (!this.hasRate) return 0;
    const idleMs = this.lastByteAt === null ? 0 : now - this.lastByteAt;
    return idleMs > 1000 ? this.smoothed * Math.exp(-(idleMs - 1000) / this.windowMs) : this.smoothed;
  }
}

/** Seconds left at the current rate; null when unknown (no size, or no speed yet). */
export function etaSeconds(remainingBytes: number | null, bytesPerSecond: number): number | null {
  if (remainingBytes === null || remainingBytes < 0) return null;
  if (remainingBytes === 0) return 0;
  if (!(bytesPerSecond >= 1)) return null;
  return Math.ceil(remainingBytes / bytesPerSecond);
}

/** 4.2 GB, 512 MB, 900 kB: decimal units, as disks and download pages use. */
export function formatBytes(bytes: number): string {
  const units = ['bytes', 'kB', 'MB', 'GB', 'TB'];
  let v = bytes;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  if (i === 0) return `${bytes} bytes`;
  return `${v >= 100 ? v.toFixed(0) : v.toFixed(1)} ${units[i]}`;
}
