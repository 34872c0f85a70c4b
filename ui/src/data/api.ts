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

const unreachable = () =>
  new ApiError({
    status: 0,
    title: 'Cannot reach Hearth',
    detail: 'Hearth did not answer. Check that the box is switched on and on your network, then try again.',
  });

const asString = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

async function problemFrom(res: Response): Promise<ApiError> {
  let body: Record<string, unknown> = {};
  try {
    const parsed: unknown = await res.json();
    if (parsed && typeof parsed === 'object') body = parsed as Record<string, unknown>;
  } catch {
    // Not JSON (a proxy's error page, say): fall back to the status line.
  }
  const header = Number(res.headers.get('Retry-After'));
  const retryAfter = typeof body.retryAfter === 'number' ? body.retryAfter : Number.isFinite(header) && header > 0 ? header : undefined;
  return new ApiError({
    status: res.status,
    title: asString(body.title) ?? (res.statusText || 'Request failed'),
    detail: asString(body.detail) ?? `Hearth answered with an error (${res.status}). Try again.`,
    field: asString(body.field),
    retryAfter,
    step: asString(body.step),
  });
}

async function request<T>(method: 'GET' | 'POST' | 'PUT', path: string, body?: unknown): Promise<T> {
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
};

/** Any thrown value as an ApiError, so a component has one shape to show. */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  return new ApiError({ status: 0, title: 'Unexpected error', detail: err instanceof Error ? err.message : String(err) });
}
