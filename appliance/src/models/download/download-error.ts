/** Why a download attempt stopped; decides whether another try can help. */
export type DownloadErrorKind =
  /** connection refused, cut, timed out, name not resolved: worth another try */
  | 'network'
  /** 5xx or 429 from the server: worth another try */
  | 'server'
  /** the answer itself is wrong (404, a web page, a checksum mismatch...): trying again will not help */
  | 'fatal';

/** A download failure with a message a person can act on. */
export class DownloadError extends Error {
  constructor(
    message: string,
    readonly kind: DownloadErrorKind,
    /** the partial file holds bytes that must not be kept (wrong content, not just incomplete) */
    readonly removePartial = false,
  ) {
    super(message);
    this.name = 'DownloadError';
  }

  get retryable(): boolean {
    return this.kind !== 'fatal';
  }
}

const networkMessages: Record<string, string> = {
  ECONNREFUSED: 'the connection was refused',
  ECONNRESET: 'the connection was cut',
  ECONNABORTED: 'the connection was cut',
  EPIPE: 'the connection was cut',
  ETIMEDOUT: 'the connection timed out',
  ENOTFOUND: 'the host name could not be resolved',
  EAI_AGAIN: 'the host name could not be resolved (DNS is not answering)',
  ENETUNREACH: 'the network is unreachable',
  EHOSTUNREACH: 'the host is unreachable',
  UND_ERR_SOCKET: 'the connection was cut',
};

const tlsCodes = new Set([
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

const diskFullCodes = new Set(['ENOSPC', 'EDQUOT']);

/** Turn whatever an attempt threw into a DownloadError (errors from sockets and from the disk look alike otherwise). */
export function toDownloadError(err: unknown, file: string): DownloadError {
  if (err instanceof DownloadError) return err;
  const e = err as NodeJS.ErrnoException;
  const code = e?.code ?? '';
  if (diskFullCodes.has(code)) {
    return new DownloadError(`the disk filled up while downloading ${file}; free some space, then pull it again`, 'fatal', true);
  }
  if (tlsCodes.has(code)) {
    return new DownloadError(`the server's TLS certificate was not accepted (${code}); check that the device's clock is right`, 'fatal');
  }
  if (code in networkMessages) return new DownloadError(`${networkMessages[code]} (${code})`, 'network');
  if (e?.message === 'aborted' || code === 'ERR_STREAM_PREMATURE_CLOSE') return new DownloadError('the connection was cut', 'network');
  if (code === 'EROFS' || code === 'EACCES' || code === 'EPERM' || code === 'EIO') {
    return new DownloadError(`could not write ${file} to disk: ${e.message}`, 'fatal');
  }
  // Other socket-layer errors (HTTP parse errors and the like) carry a code and are most likely transient;
  // anything without one is a fault of ours and another try would repeat it.
  if (/^(E[A-Z]+|HPE_|ERR_)/.test(code)) return new DownloadError(`${e.message} (${code})`, 'network');
  return new DownloadError(e?.message ?? String(err), 'fatal');
}
