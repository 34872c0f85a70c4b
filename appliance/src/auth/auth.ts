import { access, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { ConfigStore } from '../config/config-store.js';
import type { Session } from '../config/schema.js';
import type { Logger } from '../log.js';
import type { Module } from '../module.js';
import { writeFileAtomic } from '../config/atomic-file.js';
import { RESET_PASSWORD_REQUEST } from '../device/factory-reset.js';
import { badRequest, conflict, Problem, tooManyAttempts, unauthorized } from '../http/problem.js';
import { FailureRateLimiter } from './rate-limiter.js';
import {
  generateSetupCode,
  groupSetupCode,
  hashSecret,
  normalizeSetupCode,
  randomToken,
  sha256Hex,
  verifySecret,
} from './secrets.js';

export const SESSION_COOKIE = 'hearth_session';
export const CLAIM_COOKIE = 'hearth_claim';
export const SESSION_TTL_MS = 30 * 24 * 3600 * 1000;
export const CLAIM_TTL_MS = 15 * 60 * 1000;
const MAX_SESSIONS = 20;
export const MIN_PASSWORD_LENGTH = 10;
const MAX_PASSWORD_LENGTH = 1024;

export interface AuthOptions {
  /** Wrong setup codes or passwords allowed per client per window. */
  attemptsPerWindow?: number;
  attemptWindowMs?: number;
}

export function checkUsername(input: unknown): string {
  if (typeof input !== 'string' || input.trim() === '') throw badRequest('Choose a user name.', { field: 'username' });
  const value = input.trim().toLowerCase();
  if (!/^[a-z][a-z0-9._-]{0,31}$/.test(value)) {
    throw badRequest('The user name must start with a letter and use only letters a to z, digits, dots, dashes or underscores (at most 32).', {
      field: 'username',
    });
  }
  return value;
}

export function checkPassword(input: unknown, field = 'password'): string {
  if (typeof input !== 'string' || input.length === 0) throw badRequest('Enter a password.', { field });
  const length = [...input].length;
  if (length < MIN_PASSWORD_LENGTH) {
    throw badRequest(`The password is too short (${length} characters); use at least ${MIN_PASSWORD_LENGTH}.`, { field });
  }
  if (length > MAX_PASSWORD_LENGTH) throw badRequest(`The password is too long; use at most ${MAX_PASSWORD_LENGTH} characters.`, { field });
  return input;
}

/**
 * The owner account, the setup code that claims the box, and sessions.
 * The plain setup code lives only in `<data>/setup-code` (mode 0600, for the console and
 * `hearth setup-code`); config.json holds its scrypt hash.
 */
export class Auth implements Module {
  readonly name = 'auth';
  private readonly claims = new Map<string, number>(); // sha256(token) -> expiry (ms)
  private readonly claimLimiter: FailureRateLimiter;
  private readonly loginLimiter: FailureRateLimiter;
  // Beyond per-client limits, a cap on all wrong codes together: many addresses cannot guess faster.
  private readonly globalClaimLimiter: FailureRateLimiter;
  readonly setupCodePath: string;

  constructor(private readonly config: ConfigStore, private readonly log: Logger, options: AuthOptions = {}) {
    const limit = options.attemptsPerWindow ?? 5;
    const windowMs = options.attemptWindowMs ?? 60_000;
    this.claimLimiter = new FailureRateLimiter(limit, windowMs);
    this.loginLimiter = new FailureRateLimiter(limit, windowMs);
    this.globalClaimLimiter = new FailureRateLimiter(limit * 6, windowMs);
    this.setupCodePath = join(config.dataDir, 'setup-code');
  }

  async start(): Promise<void> {
    await this.passwordResetRequested();
    if (this.claimable) await this.ensureSetupCode();
    await this.pruneSessions();
  }

  /**
   * `<data>/reset-password-request` (first boot writes it for a `hearth-reset-password` file on the
   * boot partition): the same as `hearth reset-password`, then the request is spent.
   */
  private async passwordResetRequested(): Promise<void> {
    const marker = join(this.config.dataDir, RESET_PASSWORD_REQUEST);
    try {
      await access(marker);
    } catch {
      return;
    }
    if (this.config.data.auth.owner) {
      this.log.warn('password reset requested from the boot partition');
      await this.resetPassword();
    } else {
      this.log.info('password reset requested, but the box has no owner yet: nothing to reset');
    }
    await unlink(marker);
  }

  async stop(): Promise<void> {
    this.claims.clear();
  }

  /** A box can be claimed until it has an owner with a password. */
  get claimable(): boolean {
    const owner = this.config.data.auth.owner;
    return owner === null || owner.passwordHash === null;
  }

  /** True after `hearth reset-password`: claiming sets a new password for the existing owner. */
  get recovering(): boolean {
    const owner = this.config.data.auth.owner;
    return owner !== null && owner.passwordHash === null;
  }

  /** The current setup code, grouped ("K7QM-2XPD"), or null once the box is claimed. */
  async currentSetupCode(): Promise<string | null> {
    if (!this.claimable) return null;
    const code = await this.readSetupCodeFile();
    return code ? groupSetupCode(code) : null;
  }

  private async readSetupCodeFile(): Promise<string | null> {
    try {
      return normalizeSetupCode((await readFile(this.setupCodePath, 'utf8')).trim());
    } catch {
      return null;
    }
  }

  /**
   * Keep the code in the file if it matches the stored hash (or was preset by provisioning
   * and no hash exists yet); otherwise make a new one.
   */
  private async ensureSetupCode(): Promise<void> {
    const fileCode = await this.readSetupCodeFile();
    const hash = this.config.data.auth.setupCodeHash;
    if (fileCode && hash && (await verifySecret(fileCode, hash))) return;
    if (fileCode && !hash) {
      await this.storeSetupCode(fileCode);
      this.log.info('using the preset setup code');
      return;
    }
    await this.newSetupCode();
  }

  private async storeSetupCode(code: string): Promise<void> {
    const hash = await hashSecret(code);
    await writeFileAtomic(this.setupCodePath, groupSetupCode(code) + '\n', { mode: 0o600 });
    await this.config.update((c) => void (c.auth.setupCodeHash = hash));
  }

  async newSetupCode(): Promise<string> {
    const code = generateSetupCode();
    await this.storeSetupCode(code);
    return groupSetupCode(code);
  }

  /** Check a setup code; on success returns a short-lived claim token. */
  async claim(input: unknown, client: string): Promise<{ token: string; expiresAt: string }> {
    if (!this.claimable) throw conflict('This box already has an owner. Sign in instead, or reset the password on the box with `hearth reset-password`.');
    const wait = Math.max(this.claimLimiter.retryAfterMs(client), this.globalClaimLimiter.retryAfterMs('*'));
    if (wait > 0) throw tooManyAttempts(wait);
    const hash = this.config.data.auth.setupCodeHash;
    const code = typeof input === 'string' ? normalizeSetupCode(input) : null;
    const ok = code !== null && hash !== null && (await verifySecret(code, hash));
    if (!ok) {
      this.claimLimiter.recordFailure(client);
      this.globalClaimLimiter.recordFailure('*');
      this.log.warn('wrong setup code', { client });
      throw new Problem(
        401,
        'Wrong setup code',
        typeof input !== 'string' || input.trim() === ''
          ? 'Enter the setup code shown on the box’s screen or console, like K7QM-2XPD.'
          : 'That is not this box’s setup code. It has 8 letters and digits, like K7QM-2XPD, and is shown on the box’s screen or console.',
        { field: 'code' },
      );
    }
    this.claimLimiter.reset(client);
    const token = randomToken();
    const expiresAt = Date.now() + CLAIM_TTL_MS;
    this.claims.set(sha256Hex(token), expiresAt);
    return { token, expiresAt: new Date(expiresAt).toISOString() };
  }

  validClaim(token: string | undefined | null): boolean {
    if (!token || !this.claimable) return false;
    const key = sha256Hex(token);
    const expiry = this.claims.get(key);
    if (expiry === undefined) return false;
    if (expiry < Date.now()) {
      this.claims.delete(key);
      return false;
    }
    return true;
  }

  /**
   * With a valid claim: make the owner (or, when recovering, set the owner's new password).
   * Returns a session token. The setup code is spent.
   */
  async createOwner(claimToken: string | undefined | null, usernameInput: unknown, passwordInput: unknown): Promise<string> {
    if (!this.validClaim(claimToken)) {
      throw new Problem(401, 'Claim expired', 'Enter the setup code again: the claim is missing or has expired (it lasts 15 minutes).', {
        step: 'claim',
      });
    }
    const existing = this.config.data.auth.owner;
    const username = existing ? existing.username : checkUsername(usernameInput);
    const password = checkPassword(passwordInput);
    const passwordHash = await hashSecret(password);
    const now = new Date().toISOString();
    await this.config.update((c) => {
      c.auth.owner = existing
        ? { ...existing, passwordHash, passwordChangedAt: now }
        : { username, passwordHash, createdAt: now, passwordChangedAt: now };
      c.auth.setupCodeHash = null;
      c.auth.sessions = [];
      if (c.setup.state === 'pending') c.setup.step = 'name';
    });
    this.claims.clear();
    await unlink(this.setupCodePath).catch(() => undefined);
    this.log.info(existing ? 'owner password set again after a reset' : 'owner account created', { username });
    return this.openSession();
  }

  async login(usernameInput: unknown, passwordInput: unknown, client: string): Promise<string> {
    const wait = this.loginLimiter.retryAfterMs(client);
    if (wait > 0) throw tooManyAttempts(wait);
    const owner = this.config.data.auth.owner;
    if (!owner || owner.passwordHash === null) {
      throw conflict('This box has no owner password yet. Claim it with its setup code first.');
    }
    const username = typeof usernameInput === 'string' ? usernameInput.trim().toLowerCase() : '';
    const password = typeof passwordInput === 'string' && passwordInput.length <= MAX_PASSWORD_LENGTH ? passwordInput : '';
    // Always hash, so a wrong user name takes as long as a wrong password.
    const passwordOk = await verifySecret(password, owner.passwordHash);
    if (!passwordOk || username !== owner.username) {
      this.loginLimiter.recordFailure(client);
      this.log.warn('failed sign-in', { client });
      throw new Problem(401, 'Wrong user name or password', 'The user name or password is wrong.');
    }
    this.loginLimiter.reset(client);
    return this.openSession();
  }

  private async openSession(): Promise<string> {
    const token = randomToken();
    const now = Date.now();
    const session: Session = {
      idHash: sha256Hex(token),
      createdAt: new Date(now).toISOString(),
      expiresAt: new Date(now + SESSION_TTL_MS).toISOString(),
    };
    await this.config.update((c) => {
      const live = c.auth.sessions.filter((s) => Date.parse(s.expiresAt) > now);
      c.auth.sessions = [...live, session].slice(-MAX_SESSIONS);
    });
    return token;
  }

  /** The owner's user name if the token is a live session. */
  sessionUser(token: string | undefined | null): string | null {
    if (!token) return null;
    const owner = this.config.data.auth.owner;
    if (!owner || owner.passwordHash === null) return null;
    const idHash = sha256Hex(token);
    const session = this.config.data.auth.sessions.find((s) => s.idHash === idHash);
    if (!session || Date.parse(session.expiresAt) <= Date.now()) return null;
    return owner.username;
  }

  async logout(token: string | undefined | null): Promise<void> {
    if (!token) return;
    const idHash = sha256Hex(token);
    if (!this.config.data.auth.sessions.some((s) => s.idHash === idHash)) return;
    await this.config.update((c) => void (c.auth.sessions = c.auth.sessions.filter((s) => s.idHash !== idHash)));
  }

  /** Needs the current password; signs out every other session. Returns a fresh session token. */
  async changePassword(token: string, currentInput: unknown, nextInput: unknown, client: string): Promise<string> {
    const owner = this.config.data.auth.owner;
    if (!owner || !this.sessionUser(token)) throw unauthorized();
    const wait = this.loginLimiter.retryAfterMs(client);
    if (wait > 0) throw tooManyAttempts(wait);
    const current = typeof currentInput === 'string' && currentInput.length <= MAX_PASSWORD_LENGTH ? currentInput : '';
    if (!(await verifySecret(current, owner.passwordHash ?? ''))) {
      this.loginLimiter.recordFailure(client);
      throw new Problem(403, 'Wrong password', 'The current password is wrong.', { field: 'currentPassword' });
    }
    const next = checkPassword(nextInput, 'newPassword');
    this.loginLimiter.reset(client);
    const passwordHash = await hashSecret(next);
    await this.config.update((c) => {
      if (c.auth.owner) c.auth.owner = { ...c.auth.owner, passwordHash, passwordChangedAt: new Date().toISOString() };
      c.auth.sessions = [];
    });
    return this.openSession();
  }

  /** Physical-presence reset (CLI on the box): password gone, sessions gone, a new setup code; data kept. */
  async resetPassword(): Promise<string> {
    await this.config.update((c) => {
      if (c.auth.owner) c.auth.owner = { ...c.auth.owner, passwordHash: null };
      c.auth.sessions = [];
    });
    this.claims.clear();
    // Physical presence proved who this is: earlier failures no longer hold the owner back.
    this.claimLimiter.clear();
    this.loginLimiter.clear();
    this.globalClaimLimiter.clear();
    const code = await this.newSetupCode();
    this.log.warn('owner password cleared from the box; claim it again with the new setup code');
    return code;
  }

  private async pruneSessions(): Promise<void> {
    const now = Date.now();
    if (this.config.data.auth.sessions.some((s) => Date.parse(s.expiresAt) <= now)) {
      await this.config.update((c) => void (c.auth.sessions = c.auth.sessions.filter((s) => Date.parse(s.expiresAt) > now)));
    }
  }
}
