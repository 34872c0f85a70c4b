// The typed client for hearthd's HTTP API. Every fetch in the web app lives here.

/** Where the server says this browser is in the first-run flow. */
export type WizardPosition = 'claim' | 'owner' | 'login' | 'name' | 'finish' | 'done';

export interface DeviceNames {
  /** Display name, announced on the network ("Kitchen Hearth"). */
  name: string;
  /** "hearth-ab12": always answers, whatever the owner picks. */
  factoryHostname: string;
  /** The owner's custom host name ("kitchen"), or "" for none. */
  hostname: string;
  /** Every .local name the box answers to, the factory one first. */
  localNames: string[];
  version: string;
}

export interface DeviceView extends DeviceNames {
  id: string;
  setup: 'pending' | 'complete';
}

export interface SetupState {
  setup: 'pending' | 'complete';
  step: WizardPosition;
  /** The owner password was reset on the box: claim again, then set a new password. */
  recovery: boolean;
  /** The signed-in owner, or while recovering the owner whose password is being set. */
  username: string | null;
  device: DeviceNames;
}

export interface Health {
  status: 'ok';
  version: string;
  setup: 'pending' | 'complete';
}

export interface ClaimResult {
  claimToken: string;
  expiresAt: string;
  state: SetupState;
}

// Models: mirrors of appliance/src/models (catalog.ts, fit.ts, model-downloader.ts, routes.ts).

export type FitKind = 'fits' | 'fits-smaller-context' | 'does-not-fit';

/** Whether a model fits this box, and the numbers behind it (all estimates). */
export interface FitVerdict {
  modelId: string;
  name: string;
  source: 'huggingface' | 'synthetic' | 'custom';
  verdict: FitKind;
  /** The context (tokens) the numbers are for. */
  contextSize: number;
  requestedContextSize: number;
  maxContextSize: number | null;
  basis: 'gguf-header' | 'catalog';
  estimate: true;
  parameters: number | null;
  need: { weightsBytes: number; kvCacheBytes: number; overheadBytes: number; totalBytes: number };
  have: { usableBytes: number; freeRamBytes: number; freeVramBytes: number; headroomBytes: number; unified: boolean };
  /** One sentence a person can act on. */
  reason: string;
}

export interface CatalogModel {
  id: string;
  name: string;
  family: string;
  summary: string;
  source: 'huggingface' | 'synthetic';
  parameters: number;
  activeParameters?: number;
  quantization: string;
  sizeBytes: number;
  sizeVerified: boolean;
  licence: { name: string; url: string | null };
  contextLength: number;
  files: { url: string; sizeBytes: number; sha256: string | null }[];
  verdict: FitVerdict;
}

export interface InstalledModel {
  id: string;
  file: string;
  name: string;
  sizeBytes: number;
  sha256: string | null;
  /** The address it came from, 'synthetic', or file:<path>. */
  source: string;
  addedAt: string;
}

export type DownloadState = 'queued' | 'active' | 'paused' | 'failed' | 'done' | 'cancelled';

export interface DownloadStatus {
  /** The catalog id (or, for an address, the model id made from its file name). */
  id: string;
  url: string;
  file: string;
  /** 'cancelled' comes once, as the last event of a cancelled download. */
  state: DownloadState;
  receivedBytes: number;
  totalBytes: number | null;
  bytesPerSecond: number;
  etaSeconds: number | null;
  error?: string;
  sha256: string | null;
}

export type WorkerState = 'stopped' | 'starting' | 'empty' | 'loading' | 'loaded' | 'restarting';

export interface WorkerInfo {
  state: WorkerState;
  pid: number | null;
  crashes: number;
  lastCrash: { at: string; detail: string } | null;
  loaded: { contextSize: number; threads: number; sequences: number; trainContextSize: number; loadMs: number } | null;
}

/** The active model and the inference worker (also the SSE `worker` event). */
export interface ModelRuntime {
  active: string | null;
  worker: WorkerInfo;
  queue: { running: number; queued: number };
  calibration: { machine: string; threads: number; parallel: number; measuredAt: string } | null;
}

export interface ModelsView extends ModelRuntime {
  models: CatalogModel[];
  /** The catalog id this box should start with, or null when no real model fits. */
  recommended: string | null;
  installed: InstalledModel[];
  downloads: DownloadStatus[];
  keepAliveMinutes: number;
}

/** A catalog id, or an https address; `override` downloads a model that does not fit (it will not be loaded). */
export type PullRequest = { id: string; override?: boolean } | { url: string; override?: boolean; allowUnverified?: boolean };

export interface PullResult {
  verdict: FitVerdict;
  download: DownloadStatus | null;
  installed: InstalledModel | null;
}

export interface ApiTokenView {
  name: string;
  /** The token's first characters, to tell tokens apart. */
  hint: string;
  createdAt: string;
}

export interface CreatedToken extends ApiTokenView {
  token: string;
}

/** An answer other than success, from problem JSON: `detail` is meant for the person. */
export class ApiError extends Error {
  readonly status: number;
  readonly title: string;
  readonly detail: string;
  /** The input at fault, when the server names one ("code", "password", "hostname", ...). */
  readonly field: string | undefined;
  /** Seconds to wait before trying again (429). */
  readonly retryAfter: number | undefined;
  /** The wizard step to go back to, when the server says so (an expired claim). */
  readonly step: string | undefined;

  constructor(init: { status: number; title: string; detail: string; field?: string; retryAfter?: number; step?: string }) {
    super(init.detail);
    this.name = 'ApiError';
    this.status = init.status;
    this.title = init.title;
    this.detail = init.detail;
    this.field = init.field;
    this.retryAfter = init.retryAfter;
    this.step = init.step;
  }
}

export const unreachable = () =>
  new ApiError({
    status: 0,
    title: 'Cannot reach Hearth',
    detail: 'Hearth did not answer. Check that the box is switched on and on your network, then try again.',
  });

const asString = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

async function problemFrom(res: Response): Promise<ApiError> {
  let text = '';
  try {
    text = await res.text();
  } catch {
    // The body broke off: fall back to the status line.
  }
  return problemFromText(res.status, res.statusText, text, res.headers.get('Retry-After'));
}

/** An error answer's problem JSON (or whatever came instead) as an ApiError; also for XMLHttpRequest answers. */
export function problemFromText(status: number, statusText: string, text: string, retryAfterHeader: string | null = null): ApiError {
  let body: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed && typeof parsed === 'object') body = parsed as Record<string, unknown>;
  } catch {
    // Not JSON (a proxy's error page, say): fall back to the status line.
  }
  const header = Number(retryAfterHeader);
  const retryAfter = typeof body.retryAfter === 'number' ? body.retryAfter : Number.isFinite(header) && header > 0 ? header : undefined;
  return new ApiError({
    status,
    title: asString(body.title) ?? (statusText || 'Request failed'),
    detail: asString(body.detail) ?? `Hearth answered with an error (${status}). Try again.`,
    field: asString(body.field),
    retryAfter,
    step: asString(body.step),
  });
}

export async function request<T>(method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, body?: unknown): Promise<T> {
  const init: RequestInit = {
    method,
    credentials: 'same-origin',
    cache: 'no-store',
    headers: { Accept: 'application/json, application/problem+json' },
  };
  if (body !== undefined) {
    init.headers = { ...init.headers, 'Content-Type': 'application/json' };
    init.body = JSON.stringify(body);
  }
  let res: Response;
  try {
    res = await fetch(`/api${path}`, init);
  } catch {
    throw unreachable();
  }
  if (!res.ok) throw await problemFrom(res);
  if (res.status === 204) return undefined as T;
  try {
    return (await res.json()) as T;
  } catch {
    throw unreachable();
  }
}

const segment = (s: string) => encodeURIComponent(s);

export const api = {
  health: () => request<Health>('GET', '/health'),

  setupState: () => request<SetupState>('GET', '/setup/state'),
  /** Check the setup code; the server keeps the claim in an HttpOnly cookie. */
  claim: (code: string) => request<ClaimResult>('POST', '/setup/claim', { code }),
  /** Make the owner (or, when recovering, set the owner's new password); signs this browser in. */
  createOwner: (username: string, password: string) => request<SetupState>('POST', '/setup/owner', { username, password }),
  setName: (name: string, hostname: string) => request<SetupState>('PUT', '/setup/name', { name, hostname }),
  finishSetup: () => request<SetupState>('POST', '/setup/finish'),

  login: (username: string, password: string) => request<{ username: string }>('POST', '/auth/login', { username, password }),
  logout: () => request<void>('POST', '/auth/logout'),
  session: () => request<{ username: string }>('GET', '/auth/session'),
  changePassword: (currentPassword: string, newPassword: string) =>
    request<{ changed: boolean }>('POST', '/auth/password', { currentPassword, newPassword }),

  device: () => request<DeviceView>('GET', '/device'),
  renameDevice: (patch: { name?: string; hostname?: string }) => request<DeviceView>('PUT', '/device', patch),
  /** Erase the box: `confirm` is its factory host name, typed. Answers at once; the reset follows. */
  factoryReset: (confirm: string) => request<{ requested: true; message: string }>('POST', '/device/factory-reset', { confirm }),

  models: () => request<ModelsView>('GET', '/models'),
  /** Start a download (the demo model is made on the box at once: `installed` is set, `download` null). */
  pullModel: (req: PullRequest) => request<PullResult>('POST', '/models/pull', req),
  /** The verdict for a custom https GGUF address, from its header, before anything is downloaded. */
  checkModelUrl: (url: string) => request<FitVerdict>('POST', '/models/check', { url }),
  pauseDownload: (id: string) => request<DownloadStatus>('POST', `/models/downloads/${segment(id)}/pause`),
  resumeDownload: (id: string) => request<DownloadStatus>('POST', `/models/downloads/${segment(id)}/resume`),
  cancelDownload: (id: string) => request<void>('DELETE', `/models/downloads/${segment(id)}`),
  useModel: (id: string) => request<InstalledModel>('POST', '/models/use', { id }),
  removeModel: (id: string) => request<void>('DELETE', `/models/installed/${segment(id)}`),
  setKeepAlive: (keepAliveMinutes: number) => request<{ keepAliveMinutes: number }>('PUT', '/models/settings', { keepAliveMinutes }),

  tokens: () => request<ApiTokenView[]>('GET', '/models/tokens'),
  /** The token itself is in this answer only. */
  createToken: (name: string) => request<CreatedToken>('POST', '/models/tokens', { name }),
  revokeToken: (name: string) => request<void>('DELETE', `/models/tokens/${segment(name)}`),
};

/** Server-Sent Events from GET /api/models/events: downloads and the inference worker, live. */
export interface ModelEventHandlers extends StreamHandlers {
  download: (status: DownloadStatus) => void;
  worker: (runtime: ModelRuntime) => void;
}

/** What every event stream tells besides its own events. */
export interface StreamHandlers {
  /** The stream is open (again): what follows is the whole current picture. */
  open: () => void;
  /** The stream broke; `closed`: the browser gave up (a 401, say) and will not retry by itself. */
  error: (closed: boolean) => void;
}

/**
 * Open a Server-Sent Events stream of this API (the session cookie goes along): each named event's
 * JSON data goes to its handler; data that is not JSON is dropped. Returns how to close it.
 */
export function openEventStream<E extends Record<string, unknown>>(
  url: string,
  on: StreamHandlers & { events: { [K in keyof E]: (data: E[K]) => void } },
): () => void {
  const source = new EventSource(url);
  source.addEventListener('open', () => on.open());
  for (const [name, handle] of Object.entries(on.events) as Array<[string, (data: unknown) => void]>) {
    source.addEventListener(name, (e) => {
      let data: unknown;
      try {
        data = JSON.parse((e as MessageEvent<string>).data);
      } catch {
        return;
      }
      handle(data);
    });
  }
  source.addEventListener('error', () => on.error(source.readyState === EventSource.CLOSED));
  return () => source.close();
}

/** Open the model event stream; returns how to close it. */
export function openModelEvents(on: ModelEventHandlers): () => void {
  return openEventStream<{ download: DownloadStatus; worker: ModelRuntime }>('/api/models/events', {
    open: on.open,
    error: on.error,
    events: { download: on.download, worker: on.worker },
  });
}

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/**
 * One streamed chat completion from the OpenAI-compatible API (the owner's session stands in
 * for a token); `onText` gets each piece as it arrives. EventSource cannot POST, so this reads
 * the SSE body itself.
 */
export async function streamChat(
  req: { model: string; messages: ChatMessage[]; maxTokens: number },
  onText: (text: string) => void,
  signal?: AbortSignal,
): Promise<{ finishReason: string | null }> {
  let res: Response;
  try {
    res = await fetch('/v1/chat/completions', {
      method: 'POST',
      credentials: 'same-origin',
      cache: 'no-store',
      headers: { 'Content-Type': 'application/json', Accept: 'text/event-stream' },
      body: JSON.stringify({ model: req.model, messages: req.messages, stream: true, max_tokens: req.maxTokens }),
      signal: signal ?? null,
    });
  } catch {
    if (signal?.aborted) return { finishReason: 'cancelled' };
    throw unreachable();
  }
  if (!res.ok || !res.body) throw await chatProblem(res);
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  let finishReason: string | null = null;
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      let cut: number;
      while ((cut = buffer.search(/\r?\n\r?\n/)) >= 0) {
        const event = buffer.slice(0, cut);
        buffer = buffer.slice(cut).replace(/^\r?\n\r?\n/, '');
        const data = event
          .split(/\r?\n/)
          .filter((line) => line.startsWith('data:'))
          .map((line) => line.slice(5).replace(/^ /, ''))
          .join('\n');
        if (data === '') continue;
        if (data === '[DONE]') return { finishReason };
        const chunk = JSON.parse(data) as ChatChunk;
        if (chunk.error) throw new ApiError({ status: 500, title: 'The model stopped', detail: chunk.error.message ?? 'The model failed while answering.' });
        const choice = chunk.choices?.[0];
        if (choice?.delta?.content) onText(choice.delta.content);
        if (choice?.finish_reason) finishReason = choice.finish_reason;
      }
    }
  } catch (err) {
    if (signal?.aborted) return { finishReason: 'cancelled' };
    if (err instanceof ApiError) throw err;
    throw new ApiError({ status: 0, title: 'The answer was cut off', detail: 'The connection to Hearth broke while the model was answering. Try again.' });
  } finally {
    reader.releaseLock();
  }
  return { finishReason };
}

interface ChatChunk {
  choices?: { delta?: { content?: string }; finish_reason?: string | null }[];
  error?: { message?: string };
}

/** The /v1 API answers errors as {error: {message}}, the way OpenAI clients expect. */
async function chatProblem(res: Response): Promise<ApiError> {
  let message: string | undefined;
  try {
    const body = (await res.json()) as { error?: { message?: unknown } };
    message = asString(body.error?.message);
  } catch {
    // Not JSON: fall back to the status line.
  }
  return new ApiError({
    status: res.status,
    title: res.status === 401 ? 'Not signed in' : 'The model could not answer',
    detail: message ?? `Hearth answered with an error (${res.status}). Try again.`,
  });
}

/** Any thrown value as an ApiError, so a component has one shape to show. */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  return new ApiError({ status: 0, title: 'Unexpected error', detail: err instanceof Error ? err.message : String(err) });
}
