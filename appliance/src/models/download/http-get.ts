import { request as httpRequest, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { DownloadError } from './download-error.js';
import { parseByteCount, parseLinkedSha256 } from './headers.js';
import { urlRefusal } from './download-url.js';

export interface GetOptions {
  /** ask for the bytes from here on (`Range: bytes=N-`); 0 asks for the whole file */
  offset: number;
  /** a strong ETag from an earlier response: the server sends the whole file if it changed since */
  ifRange: string | null;
  signal: AbortSignal;
  maxRedirects: number;
  /** no byte for this long, while connecting or reading, counts as a network failure */
  idleTimeoutMs: number;
  allowInsecureLoopback: boolean;
  userAgent: string;
}

export interface OpenedResponse {
  /** the final, non-redirect response; its body is not read yet */
  response: IncomingMessage;
  /** where the redirects ended */
  url: URL;
  /** what the hub said about the file anywhere in the redirect chain (its first hop, usually) */
  linked: { sha256: string | null; size: number | null };
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/**
 * GET a URL with node:http(s), following redirects ourselves: every hop is checked against
 * the URL policy (no https-to-http downgrade), and the hub's X-Linked-* headers are kept
 * from whichever hop carried them. node:http rather than fetch, so the body arrives as raw
 * bytes (no transparent decompression) and the Range header goes out on every hop.
 */
export async function openGet(start: URL, o: GetOptions): Promise<OpenedResponse> {
  const linked: OpenedResponse['linked'] = { sha256: null, size: null };
  let url = start;
  for (let hop = 0; ; hop++) {
    const refusal = urlRefusal(url, o.allowInsecureLoopback);
    if (refusal) throw new DownloadError(hop === 0 ? refusal : `the server redirected to ${url.origin}, but ${refusal}`, 'fatal');
    const headers: OutgoingHttpHeaders = {
      'user-agent': o.userAgent,
      accept: '*/*',
      // Raw bytes only: the count and the sha256 are of the file, never of a compressed form.
      'accept-encoding': 'identity',
    };
    if (o.offset > 0) {
      headers.range = `bytes=${o.offset}-`;
      if (o.ifRange) headers['if-range'] = o.ifRange;
    }
    const res = await getOnce(url, headers, o);
    linked.sha256 ??= parseLinkedSha256(headerValue(res, 'x-linked-etag'));
    linked.size ??= parseByteCount(headerValue(res, 'x-linked-size'));
    const status = res.statusCode ?? 0;
    if (!REDIRECTS.has(status)) return { response: res, url, linked };
    res.resume(); // a redirect's body is noise; drain it so the socket can close
    const location = headerValue(res, 'location');
    if (!location) throw new DownloadError(`the server at ${url.host} answered ${status} (a redirect) without saying where to`, 'fatal');
    if (hop >= o.maxRedirects) throw new DownloadError(`too many redirects (more than ${o.maxRedirects}) starting at ${start.href}`, 'fatal');
    try {
      url = new URL(location, url);
    } catch {
      throw new DownloadError(`the server at ${url.host} redirected to "${location}", which is not a URL`, 'fatal');
    }
  }
}

function getOnce(url: URL, headers: OutgoingHttpHeaders, o: GetOptions): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
    let response: IncomingMessage | null = null;
    // agent: false, one connection per request: nothing pooled lingers after stop() or a cut.
    const req = request(url, { method: 'GET', headers, signal: o.signal, agent: false }, (res) => {
      response = res;
      res.on('error', () => undefined); // the reader sees errors through iteration; this keeps an unread one from crashing the process
      resolve(res);
    });
    req.setTimeout(o.idleTimeoutMs, () => {
      const seconds = o.idleTimeoutMs / 1000;
      const err = new DownloadError(`${url.host} sent nothing for ${seconds < 10 ? seconds.toFixed(1) : Math.round(seconds)} s`, 'network');
      req.destroy(err);
      (response as IncomingMessage | null)?.destroy(err);
    });
    req.once('error', reject);
    req.end();
  });
}

export function headerValue(res: IncomingMessage, name: string): string | undefined {
  const v = res.headers[name];
  return Array.isArray(v) ? v[0] : v;
}
