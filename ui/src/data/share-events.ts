import { openShareEvents, type FileEvent, type SharesView } from './shares.js';
import { SharedEventStream, type Reopened } from './live-stream.js';

type ShareEvent = { type: 'file'; change: FileEvent } | { type: 'shares'; view: Pick<SharesView, 'shares' | 'smb'> };

export type ShareChange = ShareEvent | Reopened;

/** One EventSource on /api/shares/events for every view that listens (the page, each file browser). */
export const shareEvents = new SharedEventStream<ShareEvent>((emit, on) =>
  openShareEvents({
    ...on,
    file: (change) => emit({ type: 'file', change }),
    shares: (view) => emit({ type: 'shares', view }),
  }),
);
