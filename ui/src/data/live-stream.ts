import type { StreamHandlers } from './api.js';

/** Told to every listener when the stream opened again after a break: what happened meanwhile was missed; ask again. */
export type Reopened = { type: 'reopened' };

/**
 * One EventSource for every view that listens to a stream (a page and its cards): opened with the
 * first listener, closed with the last; reopened with back-off when the browser gives up.
 * `open` starts the stream, handing each of its events to `emit`, and returns how to close it.
 */
export class SharedEventStream<C> {
  private readonly listeners = new Set<(change: C | Reopened) => void>();
  private close: (() => void) | null = null;
  private retryTimer: number | undefined;
  private retryMs = 2000;
  private opened = false;

  constructor(private readonly open: (emit: (change: C) => void, on: StreamHandlers) => () => void) {}

  subscribe(listener: (change: C | Reopened) => void): () => void {
    this.listeners.add(listener);
    if (this.listeners.size === 1) this.connect();
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) this.disconnect();
    };
  }

  private connect(): void {
    window.clearTimeout(this.retryTimer);
    this.close?.();
    this.opened = false;
    this.close = this.open((change) => this.emit(change), {
      open: () => {
        this.retryMs = 2000;
        if (this.opened) this.emit({ type: 'reopened' });
        this.opened = true;
      },
      error: (closed) => {
        if (!closed || this.listeners.size === 0) return;
        this.close?.();
        this.close = null;
        this.retryTimer = window.setTimeout(() => {
          this.connect();
          this.emit({ type: 'reopened' });
        }, this.retryMs);
        this.retryMs = Math.min(this.retryMs * 2, 30_000);
      },
    });
  }

  private disconnect(): void {
    window.clearTimeout(this.retryTimer);
    this.close?.();
    this.close = null;
  }

  private emit(change: C | Reopened): void {
    for (const l of [...this.listeners]) l(change);
  }
}
