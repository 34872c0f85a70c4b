import { badRequest } from '../../http/problem.js';

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

export function isLoopbackHost(hostname: string): boolean {
  return LOOPBACK_HOSTS.has(hostname.toLowerCase());
}

/**
 * The URL policy: models come over HTTPS only. Plain http is allowed solely for loopback
 * addresses and only when the caller opted in (tests, with a local server). Returns why not, or null.
 */
export function urlRefusal(url: URL, allowInsecureLoopback: boolean): string | null {
  if (url.protocol === 'https:') return null;
  if (url.protocol === 'http:') {
    if (allowInsecureLoopback && isLoopbackHost(url.hostname)) return null;
    return `only https:// URLs are accepted for model downloads, and ${url.origin} is plain http; use the https:// address`;
  }
  return `only https:// URLs are accepted for model downloads, not ${url.protocol.replace(/:$/, '')}:`;
}

/** Parse and check a URL given to pull(); bad input is a 400 that changes nothing. */
export function checkPullUrl(input: unknown, allowInsecureLoopback: boolean): URL {
  if (typeof input !== 'string' || input.trim() === '') throw badRequest('Give the URL of the model file.', { field: 'url' });
  let url: URL;
  try {
    url = new URL(input.trim());
  } catch {
    throw badRequest(`"${input}" is not a URL.`, { field: 'url' });
  }
  if (url.username || url.password) throw badRequest('Put no user name or password in the model URL.', { field: 'url' });
  const refusal = urlRefusal(url, allowInsecureLoopback);
  if (refusal) throw badRequest(capitalise(refusal) + '.', { field: 'url' });
  url.hash = '';
  return url;
}

/** The file name a URL points at: the last path segment, decoded (`.../resolve/main/x.gguf?download=true` gives `x.gguf`). */
export function fileNameFromUrl(url: URL): string {
  const last = url.pathname.split('/').filter(Boolean).pop() ?? '';
  try {
    return decodeURIComponent(last);
  } catch {
    return last;
  }
}

/** A model file name is one plain name ending in .gguf: no folders, nothing hidden, nothing that escapes models/. */
export function checkModelFileName(input: unknown): string {
  if (typeof input !== 'string' || input === '') throw badRequest('Give a file name for the model.', { field: 'file' });
  if (!/^[A-Za-z0-9][A-Za-z0-9._+-]{0,199}$/.test(input) || input.includes('..')) {
    throw badRequest(`"${input}" is not a usable model file name: use letters, digits, dots, dashes, underscores or plus signs, no folders.`, {
      field: 'file',
    });
  }
  if (!/\.gguf$/i.test(input)) throw badRequest(`"${input}" is not a GGUF file name; model files end in .gguf.`, { field: 'file' });
  return input;
}

/** Download ids end up in API paths, so keep them to safe characters. */
export function checkDownloadId(input: unknown): string {
  if (typeof input !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._+-]{0,199}$/.test(input)) {
    throw badRequest('A download id uses letters, digits, dots, dashes, underscores or plus signs (at most 200).', { field: 'id' });
  }
  return input;
}

export function checkSha256(input: unknown): string | null {
  if (input === undefined || input === null || input === '') return null;
  const v = typeof input === 'string' ? input.trim().toLowerCase() : '';
  if (!/^[0-9a-f]{64}$/.test(v)) throw badRequest('The sha256 must be 64 hexadecimal digits.', { field: 'sha256' });
  return v;
}

export function checkSize(input: unknown): number | null {
  if (input === undefined || input === null) return null;
  if (typeof input !== 'number' || !Number.isSafeInteger(input) || input <= 0) {
    throw badRequest('The size must be a whole number of bytes, above zero.', { field: 'size' });
  }
  return input;
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
