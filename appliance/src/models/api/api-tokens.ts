import type { ConfigStore } from '../../config/config-store.js';
import { badRequest, conflict, Problem } from '../../http/problem.js';
import { randomToken, sha256Hex } from '../../auth/secrets.js';

export interface ApiTokenView {
  name: string;
  hint: string;
  createdAt: string;
}

/** Bearer tokens for /v1 (apps on the LAN). Shown once when made; only the sha256 is kept. */
export class ApiTokens {
  constructor(private readonly config: ConfigStore) {}

  list(): ApiTokenView[] {
    return this.config.data.apiTokens.map(({ name, hint, createdAt }) => ({ name, hint, createdAt }));
  }

  async create(nameInput: unknown): Promise<{ token: string } & ApiTokenView> {
    if (typeof nameInput !== 'string' || !/^[\p{L}\p{N} ._-]{1,64}$/u.test(nameInput.trim())) {
      throw badRequest('Name the token after the app that will use it: 1 to 64 letters, digits, spaces, dots, dashes or underscores.', { field: 'name' });
    }
    const name = nameInput.trim();
    if (this.config.data.apiTokens.some((t) => t.name === name)) throw conflict(`There is already a token named "${name}". Revoke it first or pick another name.`);
    // 32 random bytes: a fast hash is enough, nothing to guess.
    const token = `hth_${randomToken(32)}`;
    const view = { name, hint: token.slice(0, 8), createdAt: new Date().toISOString() };
    await this.config.update((c) => void c.apiTokens.push({ ...view, hash: sha256Hex(token) }));
    return { token, ...view };
  }

  async revoke(name: unknown): Promise<void> {
    if (typeof name !== 'string' || !this.config.data.apiTokens.some((t) => t.name === name)) {
      throw new Problem(404, 'No such token', `There is no token named "${String(name)}".`);
    }
    await this.config.update((c) => void (c.apiTokens = c.apiTokens.filter((t) => t.name !== name)));
  }

  /** The token's name if it is valid. */
  verify(token: string): string | null {
    const hash = sha256Hex(token);
    return this.config.data.apiTokens.find((t) => t.hash === hash)?.name ?? null;
  }
}
