import { css, html, nothing, type TemplateResult } from 'lit';
import type { CatalogModel, DownloadStatus, FitVerdict, WorkerInfo } from '../data/api.js';

// How models, verdicts and downloads read to a person: sizes in decimal units, as disks and downloads are sold.

const KB = 1000;
const MB = KB * 1000;
const GB = MB * 1000;

const TB = GB * 1000;

/** 808 MB, 1.9 GB, 21 GB, 4 TB. */
export function formatBytes(bytes: number): string {
  if (bytes >= 10 * TB) return `${Math.round(bytes / TB).toLocaleString('en')} TB`;
  if (bytes >= TB) return `${(bytes / TB).toFixed(1)} TB`;
  if (bytes >= 10 * GB) return `${Math.round(bytes / GB)} GB`;
  if (bytes >= GB) return `${(bytes / GB).toFixed(1)} GB`;
  if (bytes >= 10 * MB) return `${Math.round(bytes / MB)} MB`;
  if (bytes >= MB) return `${(bytes / MB).toFixed(1)} MB`;
  if (bytes >= KB) return `${Math.round(bytes / KB)} kB`;
  return `${Math.round(bytes)} bytes`;
}

export function formatRate(bytesPerSecond: number): string {
  return `${formatBytes(bytesPerSecond)}/s`;
}

/** 45 s, 2 min, 1 h 5 min. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  const minutes = Math.round(s / 60);
  if (minutes < 60) return `${minutes} min`;
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  return m ? `${h} h ${m} min` : `${h} h`;
}

/** 1.2B, 494M parameters. */
export function formatParameters(n: number): string {
  if (n >= 1e12) return `${Math.round(n / 1e12).toLocaleString('en')}T`;
  if (n >= 1e9) return `${(n / 1e9).toFixed(n >= 1e10 ? 0 : 1)}B`;
  if (n >= 1e6) return `${Math.round(n / 1e6)}M`;
  return `${Math.round(n / 1e3)}K`;
}

export function formatDate(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleDateString(undefined, { year: 'numeric', month: 'short', day: 'numeric' });
}

/** Percent done, or null while the size is unknown. */
export function percentOf(d: DownloadStatus): number | null {
  if (!d.totalBytes) return null;
  return Math.min(100, Math.floor((d.receivedBytes / d.totalBytes) * 100));
}

/** The verdict in a few words: "Fits — about 2.1 GB of 21 GB usable". */
export function verdictText(v: FitVerdict): string {
  const need = formatBytes(v.need.totalBytes);
  const have = formatBytes(v.have.usableBytes);
  switch (v.verdict) {
    case 'fits':
      return `Fits — about ${need} of ${have} usable`;
    case 'fits-smaller-context':
      return `Fits with a shorter memory (${v.contextSize} tokens) — about ${need} of ${have} usable`;
    case 'does-not-fit':
      // Too big, or not runnable here at all (an architecture llama.cpp lacks): then the reason says why.
      return v.need.totalBytes > v.have.usableBytes ? `Too big for this box — needs about ${need}, ${have} usable` : `Cannot run on this box — ${v.reason}`;
  }
}

/** The verdict line, coloured by kind, with the full reason for whoever hovers or reads on. */
export function verdictLine(v: FitVerdict, id?: string): TemplateResult {
  return html`<p class="verdict ${v.verdict}" id=${id ?? nothing} title=${v.reason}>
    <span class="dot" aria-hidden="true"></span><span>${verdictText(v)}</span>
  </p>`;
}

/** Size, quantisation, licence and context: the facts under a model's name. */
export function modelFacts(m: CatalogModel): TemplateResult {
  const size = m.source === 'synthetic' ? `${formatBytes(m.sizeBytes)}, made on this box (no download)` : `${formatBytes(m.sizeBytes)} download`;
  return html`<p class="facts">
    <span>${size}</span>
    <span>${formatParameters(m.parameters)} parameters, ${m.quantization}</span>
    <span
      >${m.licence.url
        ? html`<a href=${m.licence.url} target="_blank" rel="noopener noreferrer">${m.licence.name}</a>`
        : m.licence.name}</span
    >
  </p>`;
}

/**
 * "Downloading Llama 3.2 1B — 42 % · 12 MB/s · 2 min left", and the other states in words.
 * Without a name, the short form for a row that already shows it: "Downloading — 42 % · …".
 */
export function downloadText(d: DownloadStatus, name?: string): string {
  const pct = percentOf(d);
  const done = pct === null ? formatBytes(d.receivedBytes) : `${pct} %`;
  const subject = name ?? '';
  switch (d.state) {
    case 'queued':
      return name ? `${name} waits to download` : 'Waiting to start';
    case 'active': {
      const parts = [name ? `Downloading ${name} — ${done}` : `Downloading — ${done}`];
      if (d.bytesPerSecond > 0) parts.push(formatRate(d.bytesPerSecond));
      if (d.etaSeconds !== null && d.bytesPerSecond > 0) parts.push(`${formatDuration(d.etaSeconds)} left`);
      return parts.join(' · ');
    }
    case 'paused':
      return name ? `${name} paused at ${done}` : `Paused at ${done}`;
    case 'failed':
      return `${name ? `Download of ${subject} failed` : 'Failed'}${d.error ? `: ${d.error}` : ''}`;
    case 'done':
      return name ? `${name} downloaded` : 'Downloaded';
    case 'cancelled':
      return name ? `Download of ${name} cancelled` : 'Cancelled';
  }
}

/** Bytes so far of the total: "340 MB of 808 MB". */
export function downloadBytes(d: DownloadStatus): string {
  return d.totalBytes ? `${formatBytes(d.receivedBytes)} of ${formatBytes(d.totalBytes)}` : formatBytes(d.receivedBytes);
}

/** The inference worker's state in words, and whether that is good, under way or bad. */
export function workerText(w: WorkerInfo, hasActive: boolean): { label: string; tone: 'ok' | 'busy' | 'idle' | 'bad' } {
  switch (w.state) {
    case 'loaded':
      return { label: 'Loaded and ready', tone: 'ok' };
    case 'loading':
      return { label: 'Loading…', tone: 'busy' };
    case 'starting':
      return { label: 'Starting…', tone: 'busy' };
    case 'restarting':
      return { label: 'Restarting after a crash…', tone: 'bad' };
    case 'empty':
      return { label: 'Not loaded (loads on the next request)', tone: 'idle' };
    case 'stopped':
      return { label: hasActive ? 'Not loaded' : 'No model', tone: 'idle' };
  }
}

/** A progress bar: native <progress>, named by what it measures. */
export function progressBar(d: DownloadStatus, label: string): TemplateResult {
  const pct = percentOf(d);
  return html`<progress class="bar ${d.state}" aria-label=${label} max="100" value=${pct ?? nothing}></progress>`;
}

export const modelViewStyles = css`
  .verdict {
    display: flex;
    align-items: baseline;
    gap: 0.45rem;
    margin: 0;
    font-size: 0.9rem;
    font-weight: 550;
  }
  .verdict .dot {
    flex: none;
    width: 0.55rem;
    height: 0.55rem;
    border-radius: 50%;
    background: currentColor;
    transform: translateY(-0.05rem);
  }
  .verdict.fits {
    color: var(--hearth-ok);
  }
  .verdict.fits-smaller-context {
    color: #9a6700;
  }
  .verdict.does-not-fit {
    color: var(--hearth-error);
  }
  .facts {
    display: flex;
    flex-wrap: wrap;
    gap: 0.1rem 0.9rem;
    margin: 0;
    font-size: 0.85rem;
    color: var(--hearth-muted);
  }
  .facts span {
    min-width: 0;
    overflow-wrap: anywhere;
  }
  .tag {
    display: inline-block;
    font-size: 0.72rem;
    font-weight: 650;
    text-transform: uppercase;
    letter-spacing: 0.04em;
    padding: 0.1rem 0.5rem;
    border-radius: 999px;
    background: var(--hearth-surface-2);
    border: 1px solid var(--hearth-border);
    color: var(--hearth-muted);
    white-space: nowrap;
    vertical-align: middle;
  }
  .tag.accent {
    background: var(--hearth-accent-soft);
    border-color: #fed7aa;
    color: var(--hearth-accent-hover);
  }
  .tag.ok {
    background: var(--hearth-ok-soft);
    border-color: #abefc6;
    color: var(--hearth-ok);
  }
  progress.bar {
    appearance: none;
    display: block;
    width: 100%;
    height: 0.5rem;
    border: 0;
    border-radius: 999px;
    background: var(--hearth-surface-2);
    overflow: hidden;
  }
  progress.bar::-webkit-progress-bar {
    background: var(--hearth-surface-2);
    border-radius: 999px;
  }
  progress.bar::-webkit-progress-value {
    background: var(--hearth-accent);
    border-radius: 999px;
    transition: width 0.25s;
  }
  progress.bar::-moz-progress-bar {
    background: var(--hearth-accent);
    border-radius: 999px;
  }
  progress.bar.paused::-webkit-progress-value,
  progress.bar.queued::-webkit-progress-value {
    background: #b3a190;
  }
  progress.bar.failed::-webkit-progress-value {
    background: var(--hearth-error);
  }
`;
