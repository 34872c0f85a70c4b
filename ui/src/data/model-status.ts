import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { api, openModelEvents, type DownloadStatus, type ModelRuntime, type ModelsView } from './api.js';

/** What changed, for listeners that act on a change (the Models page refetches when a download is done). */
export type ModelChange =
  | { type: 'download'; status: DownloadStatus; previous: DownloadStatus | undefined }
  | { type: 'worker'; runtime: ModelRuntime; previous: ModelRuntime | null }
  | { type: 'names' };

export interface ModelStatusSnapshot {
  /** The latest status of each download the server knows, finished ones included. */
  downloads: ReadonlyMap<string, DownloadStatus>;
  runtime: ModelRuntime | null;
  /** Model names by id (catalog and installed), for downloads and the active model. */
  names: ReadonlyMap<string, string>;
}

type Listener = (change: ModelChange) => void;

/** Not finished and not gone: what the status pill shows. */
export const isPending = (d: DownloadStatus): boolean => d.state === 'queued' || d.state === 'active' || d.state === 'paused' || d.state === 'failed';

/**
 * Live model state for every view, from one EventSource: opened when the first view
 * subscribes, closed when the last one leaves (on sign out, say). Reconnects on its own
 * when the browser gives up (the box restarted, a proxy closed the stream).
 */
class ModelStatusStore {
  private readonly listeners = new Set<Listener>();
  private readonly downloads = new Map<string, DownloadStatus>();
  private readonly names = new Map<string, string>();
  private runtime: ModelRuntime | null = null;
  private close: (() => void) | null = null;
  private retryTimer: number | undefined;
  private retryMs = 2000;
  private seeded = false;

  get snapshot(): ModelStatusSnapshot {
    return { downloads: this.downloads, runtime: this.runtime, names: this.names };
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    if (this.listeners.size === 1) this.connect();
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) this.disconnect();
    };
  }

  /** A fresh GET /api/models answer: names, downloads and the worker as of now. */
  learn(view: ModelsView): void {
    this.seeded = true;
    for (const m of view.models) this.names.set(m.id, m.name);
    for (const m of view.installed) this.names.set(m.id, m.name);
    // Gone from the server's list (cancelled while the stream was down): gone here too.
    const listed = new Set(view.downloads.map((d) => d.id));
    for (const id of [...this.downloads.keys()]) if (!listed.has(id)) this.downloads.delete(id);
    for (const d of view.downloads) this.setDownload(d);
    this.setRuntime({ active: view.active, worker: view.worker, queue: view.queue, calibration: view.calibration });
    this.emit({ type: 'names' });
  }

  /** A download this browser just started: shown at once, before the stream reports it. */
  noteDownload(status: DownloadStatus, name?: string): void {
    if (name) this.names.set(status.id, name);
    this.setDownload(status);
  }

  nameOf(id: string): string {
    return this.names.get(id) ?? id;
  }

  private connect(): void {
    window.clearTimeout(this.retryTimer);
    this.close?.();
    this.close = openModelEvents({
      open: () => (this.retryMs = 2000),
      download: (status) => this.setDownload(status),
      worker: (runtime) => this.setRuntime(runtime),
      error: (closed) => {
        if (!closed || this.listeners.size === 0) return;
        this.close?.();
        this.close = null;
        this.retryTimer = window.setTimeout(() => this.connect(), this.retryMs);
        this.retryMs = Math.min(this.retryMs * 2, 30_000);
      },
    });
    // Names for downloads started elsewhere (another browser, the CLI) come from the catalog.
    if (!this.seeded) {
      this.seeded = true;
      api.models().then(
        (view) => this.learn(view),
        () => (this.seeded = false),
      );
    }
  }

  private disconnect(): void {
    window.clearTimeout(this.retryTimer);
    this.close?.();
    this.close = null;
  }

  private setDownload(status: DownloadStatus): void {
    const previous = this.downloads.get(status.id);
    if (status.state === 'cancelled') this.downloads.delete(status.id);
    else this.downloads.set(status.id, status);
    this.emit({ type: 'download', status, previous });
  }

  private setRuntime(runtime: ModelRuntime): void {
    const previous = this.runtime;
    this.runtime = runtime;
    this.emit({ type: 'worker', runtime, previous });
  }

  private emit(change: ModelChange): void {
    for (const l of [...this.listeners]) l(change);
  }
}

export const modelStatus = new ModelStatusStore();

/** Re-renders its host on every change of the live model state, while the host is connected. */
export class ModelStatusController implements ReactiveController {
  private unsubscribe: (() => void) | null = null;

  constructor(
    private readonly host: ReactiveControllerHost,
    private readonly onChange?: (change: ModelChange) => void,
  ) {
    host.addController(this);
  }

  get value(): ModelStatusSnapshot {
    return modelStatus.snapshot;
  }

  hostConnected(): void {
    this.unsubscribe = modelStatus.subscribe((change) => {
      this.onChange?.(change);
      this.host.requestUpdate();
    });
  }

  hostDisconnected(): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
  }
}
