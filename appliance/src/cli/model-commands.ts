import { resolve } from 'node:path';
import type { InstalledModel } from '../config/schema.js';
import type { ApiTokenView } from '../models/api/api-tokens.js';
import { callDaemon, CliError } from './control-client.js';

export interface CommandContext {
  dataDir: string;
  json: boolean;
  print: (value: unknown, human: string) => void;
  options: { id?: string; name?: string };
}

const gib = (n: number) => `${(n / 2 ** 30).toFixed(2)} GiB`;

/** `hearth model <verb>`: the models on the box. */
export async function modelCommand(verb: string | undefined, arg: string | undefined, c: CommandContext): Promise<number> {
  switch (verb) {
    case 'ls':
    case undefined: {
      const r = await callDaemon<{ installed: InstalledModel[]; active: string | null; worker: { state: string } }>(c.dataDir, 'GET', '/models');
      const lines = r.installed.length === 0
        ? ['No models installed. Add one: hearth model add <file.gguf>']
        : r.installed.map((m) => `${m.id === r.active ? '*' : ' '} ${m.id.padEnd(28)} ${gib(m.sizeBytes).padStart(10)}  ${m.name}`);
      c.print(r, [...lines, '', `Model worker: ${r.worker.state}`].join('\n'));
      return 0;
    }
    case 'add': {
      if (!arg) throw new CliError('Give the path of a .gguf file: hearth model add <file.gguf> [--id ID] [--name NAME]');
      const m = await callDaemon<InstalledModel>(c.dataDir, 'POST', '/models/add', { path: resolve(arg), id: c.options.id, name: c.options.name });
      c.print(m, `Added ${m.id} (${gib(m.sizeBytes)}, sha256 ${m.sha256?.slice(0, 12)}…). Make it active: hearth model use ${m.id}`);
      return 0;
    }
    case 'use': {
      if (!arg) throw new CliError('Give the id of an installed model: hearth model use <id> (hearth model ls lists them)');
      const m = await callDaemon<InstalledModel>(c.dataDir, 'POST', '/models/use', { id: arg });
      c.print(m, `${m.id} is now the active model; it loads in the background.`);
      return 0;
    }
    case 'rm': {
      if (!arg) throw new CliError('Give the id of the model to remove: hearth model rm <id>');
      const r = await callDaemon(c.dataDir, 'POST', '/models/remove', { id: arg });
      c.print(r, `Removed ${arg} and its file.`);
      return 0;
    }
    default:
      throw new CliError(`Unknown model command "${verb}". Use: hearth model ls | add <file.gguf> | use <id> | rm <id>`);
  }
}

/** `hearth token <verb>`: bearer tokens for the OpenAI-compatible API. */
export async function tokenCommand(verb: string | undefined, arg: string | undefined, c: CommandContext): Promise<number> {
  switch (verb) {
    case 'ls':
    case undefined: {
      const list = await callDaemon<ApiTokenView[]>(c.dataDir, 'GET', '/tokens');
      c.print(list, list.length === 0 ? 'No API tokens. Make one: hearth token create <name>' : list.map((t) => `${t.name.padEnd(24)} ${t.hint}…  made ${t.createdAt}`).join('\n'));
      return 0;
    }
    case 'create': {
      if (!arg) throw new CliError('Name the token after the app that will use it: hearth token create <name>');
      const t = await callDaemon<{ token: string } & ApiTokenView>(c.dataDir, 'POST', '/tokens', { name: arg });
      c.print(t, `Token for ${t.name} (shown only now; keep it somewhere safe):\n\n  ${t.token}\n\nUse it as: Authorization: Bearer ${t.token.slice(0, 8)}…`);
      return 0;
    }
    case 'revoke': {
      if (!arg) throw new CliError('Give the name of the token to revoke: hearth token revoke <name>');
      const r = await callDaemon(c.dataDir, 'POST', '/tokens/revoke', { name: arg });
      c.print(r, `Revoked ${arg}; apps using it are refused from now on.`);
      return 0;
    }
    default:
      throw new CliError(`Unknown token command "${verb}". Use: hearth token ls | create <name> | revoke <name>`);
  }
}
