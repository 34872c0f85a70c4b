import { openShareEvents, type FileEvent, type SharesView } from './shares.js';

export type ShareChange = { type: 'file'; change: FileEvent } | { type: 'shares'; view: Pick<SharesView, 'shares' | 'smb'> } | { type: 'reopened' };

type Listener = (change: ShareChange) => void;

/**
 * One EventSource on /api/shares/events for every view that listens (the page, each file browser):
 * opened with the first listener, closed with the last; reopened with back-off when the browser gives up.
 */
class ShareEventStore {
  private readonly listeners = new Set<Listener>();
  private close: (() => void) | null = null;
  private retryTimer: number | undefined;
  private retryMs = 2000;
  private opened = false;

  subscribe(listener: Listener): () => void {
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
    this.close = openShareEvents({
      open: () => {
        this.retryMs = 2000;
        // Opened again after a break: what happened meanwhile was missed; listeners ask again.
        if (this.opened) this.emit({ type: 'reopened' });
        this.opened = true;
      },
      file: (change) => this.emit({ type: 'file', change }),
      shares: (view) => this.emit({ type: 'shares', view }),
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

  private emit(change: ShareChange): void {
    for (const l of [...this.listeners]) l(change);
  }
}

export const shareEvents = new ShareEventStore();
