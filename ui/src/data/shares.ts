// Shares: typed calls for /api/shares (the shares, Samba, the file browser) and its event stream.
// Mirrors appliance/src/shares (routes.ts, file-routes.ts, share-files.ts).

import { ApiError, openEventStream, problemFromText, request, unreachable, type StreamHandlers } from './api.js';

export type AgentAccess = 'none' | 'read' | 'read-write';

/** How to reach a share from each kind of computer; null where that way does not work (Windows needs port 445). */
export interface ShareConnect {
  macos: string;
  windows: string | null;
  windowsByIp: string | null;
  linux: string;
  smbclient: string;
}

export interface ShareUsage {
  bytes: number;
  files: number;
  measuredAt: string;
}

export interface ShareView {
  name: string;
  description: string;
  /** The folder on the box. */
  path: string;
  /** Hearth made the folder (under the data volume): it may delete the files when asked. */
  managed: boolean;
  /** Shared on the network (SMB). */
  network: boolean;
  /** Read-only over the network. */
  readOnly: boolean;
  agents: AgentAccess;
  watchedBy: string[];
  status: 'ok' | 'missing' | 'error';
  /** What is wrong (a folder that vanished: a USB disk pulled), or null. */
  problem: string | null;
  usage: ShareUsage | null;
  connect: ShareConnect;
}

export type SmbState = 'running' | 'stopped' | 'not-installed' | 'error' | 'off';

export interface SmbView {
  state: SmbState;
  problem: string | null;
  port: number;
  /** The name computers sign in with (the owner's). */
  username: string;
  passwordSet: boolean;
  mode: 'private' | 'system' | 'off';
}

/** A default share setup suggests and that does not exist yet. */
export interface ProposedShare {
  name: string;
  description: string;
  network: boolean;
  readOnly: boolean;
  agents: AgentAccess;
}

export interface SharesView {
  shares: ShareView[];
  smb: SmbView;
  proposed: ProposedShare[];
}

export interface NewShare {
  name: string;
  description?: string;
  /** An existing folder on the box (a USB disk, say); without it Hearth makes one. */
  path?: string;
  network?: boolean;
  readOnly?: boolean;
  agents?: AgentAccess;
}

export interface SharePatch {
  /** A new name: renames the share. */
  name?: string;
  description?: string;
  network?: boolean;
  readOnly?: boolean;
  agents?: AgentAccess;
}

export interface FileEntry {
  name: string;
  /** Relative to the share's folder, with forward slashes. */
  path: string;
  type: 'file' | 'dir';
  size: number;
  modifiedAt: string;
}

export interface FileListing {
  share: string;
  /** The folder listed, relative to the share ("" is the share itself). */
  path: string;
  entries: FileEntry[];
}

export type FileChangeKind = 'added' | 'changed' | 'removed';

/** SSE `file`: something changed in a share (over SMB, from the web, by an agent). */
export interface FileEvent {
  share: string;
  path: string;
  kind: FileChangeKind;
  size: number | null;
  at: string;
}

const segment = (s: string) => encodeURIComponent(s);
const query = (params: Record<string, string | undefined>) =>
  Object.entries(params)
    .filter((kv): kv is [string, string] => kv[1] !== undefined)
    .map(([k, v]) => `${k}=${encodeURIComponent(v)}`)
    .join('&');

export const sharesApi = {
  list: () => request<SharesView>('GET', '/shares'),
  create: (share: NewShare) => request<ShareView>('POST', '/shares', share),
  update: (name: string, patch: SharePatch) => request<ShareView>('PATCH', `/shares/${segment(name)}`, patch),
  /** Stops sharing; the files stay unless `deleteFiles`, which needs the share's name typed as `confirm`. */
  remove: (name: string, opts: { deleteFiles?: boolean; confirm?: string } = {}) => request<void>('DELETE', `/shares/${segment(name)}`, opts),
  /** The password computers give when they connect (8 to 128 characters). */
  setSmbPassword: (password: string) => request<void>('POST', '/shares/smb-password', { password }),

  files: (share: string, path = '') => request<FileListing>('GET', `/shares/${segment(share)}/files?${query({ path })}`),
  makeFolder: (share: string, path: string) => request<FileEntry>('POST', `/shares/${segment(share)}/folders`, { path }),
  removeFile: (share: string, path: string, recursive = false) =>
    request<void>('DELETE', `/shares/${segment(share)}/files?${query({ path, recursive: recursive ? '1' : undefined })}`),
};

/** The address that downloads a file (the session cookie goes along; the answer is an attachment). */
export function downloadUrl(share: string, path: string): string {
  return `/api/shares/${segment(share)}/download?${query({ path })}`;
}

export interface UploadProgress {
  loaded: number;
  total: number;
}

/**
 * Upload one file into folder `dir` of a share, as the raw request body. XMLHttpRequest rather than
 * fetch: it reports upload progress. `signal` cancels it.
 */
export function uploadFile(
  share: string,
  dir: string,
  file: File,
  opts: { overwrite?: boolean; onProgress?: (p: UploadProgress) => void; signal?: AbortSignal } = {},
): Promise<FileEntry> {
  const url = `/api/shares/${segment(share)}/upload?${query({ path: dir, name: file.name, overwrite: opts.overwrite ? '1' : undefined })}`;
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('PUT', url);
    xhr.withCredentials = true;
    xhr.setRequestHeader('Accept', 'application/json, application/problem+json');
    xhr.setRequestHeader('Content-Type', file.type || 'application/octet-stream');
    xhr.upload.addEventListener('progress', (e) => opts.onProgress?.({ loaded: e.loaded, total: e.lengthComputable ? e.total : file.size }));
    xhr.addEventListener('load', () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        try {
          resolve(JSON.parse(xhr.responseText) as FileEntry);
        } catch {
          reject(unreachable());
        }
      } else {
        reject(problemFromText(xhr.status, xhr.statusText, xhr.responseText, xhr.getResponseHeader('Retry-After')));
      }
    });
    xhr.addEventListener('error', () => reject(unreachable()));
    xhr.addEventListener('abort', () => reject(new ApiError({ status: 0, title: 'Upload cancelled', detail: `The upload of ${file.name} was cancelled.` })));
    opts.signal?.addEventListener('abort', () => xhr.abort(), { once: true });
    xhr.send(file);
  });
}

export interface ShareEventHandlers extends StreamHandlers {
  file: (e: FileEvent) => void;
  shares: (view: Pick<SharesView, 'shares' | 'smb'>) => void;
}

/** Open GET /api/shares/events; returns how to close it. */
export function openShareEvents(on: ShareEventHandlers): () => void {
  return openEventStream<{ file: FileEvent; shares: Pick<SharesView, 'shares' | 'smb'> }>('/api/shares/events', {
    open: on.open,
    error: on.error,
    events: { file: on.file, shares: on.shares },
  });
}

/** The folder a path lies in ("" for the share's top). */
export const parentOf = (path: string): string => (path.includes('/') ? path.slice(0, path.lastIndexOf('/')) : '');

/** The SMB password's length rule, as the server checks it. */
export const SMB_PASSWORD_MIN = 8;
export const SMB_PASSWORD_MAX = 128;
