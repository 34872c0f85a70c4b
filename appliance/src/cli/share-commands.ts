import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { ShareView, SmbView } from '../shares/shares.js';
import { callDaemon, CliError } from './control-client.js';
import { readSecret } from './read-secret.js';

export interface ShareCommandContext {
  dataDir: string;
  json: boolean;
  print: (value: unknown, human: string) => void;
  options: { path?: string; agents?: string; readOnly?: boolean; description?: string; deleteFiles?: boolean; yes?: boolean };
}

const size = (bytes: number): string =>
  bytes >= 1e9 ? `${(bytes / 1e9).toFixed(1)} GB` : bytes >= 1e6 ? `${(bytes / 1e6).toFixed(1)} MB` : bytes >= 1e3 ? `${(bytes / 1e3).toFixed(0)} kB` : `${bytes} B`;

/** `hearth share <verb>`: the folder shares. */
export async function shareCommand(verb: string | undefined, arg: string | undefined, c: ShareCommandContext): Promise<number> {
  switch (verb) {
    case 'ls':
    case undefined: {
      const r = await callDaemon<{ shares: ShareView[]; smb: SmbView }>(c.dataDir, 'GET', '/shares');
      const lines =
        r.shares.length === 0
          ? ['No shares yet. Make one: hearth share add Inbox']
          : r.shares.map((s) => {
              const net = s.network ? (s.readOnly ? 'network read-only' : 'network read-write') : 'not on the network';
              const usage = s.usage ? `${size(s.usage.bytes)}, ${s.usage.files} files` : 'measuring';
              const status = s.status === 'ok' ? '' : `  [${s.status.toUpperCase()}: ${s.problem}]`;
              return `${s.name.padEnd(20)} ${net.padEnd(19)} agents ${s.agents.padEnd(10)} ${usage.padEnd(22)} ${s.path}${status}\n${''.padEnd(21)}${s.connect.smbclient}`;
            });
      const smb = `SMB: ${r.smb.state}${r.smb.problem ? ` (${r.smb.problem})` : ''}, port ${r.smb.port}, user ${r.smb.username || '(no owner yet)'}, password ${r.smb.passwordSet ? 'set' : 'not set (hearth smb-password)'}`;
      c.print(r, [...lines, '', smb].join('\n'));
      return 0;
    }
    case 'add': {
      if (!arg) throw new CliError('Give the share a name: hearth share add <name> [--path DIR] [--agents none|read|read-write] [--read-only] [--description TEXT]');
      const s = await callDaemon<ShareView>(c.dataDir, 'POST', '/shares', {
        name: arg,
        ...(c.options.path !== undefined ? { path: resolve(c.options.path) } : {}),
        ...(c.options.agents !== undefined ? { agents: c.options.agents } : {}),
        ...(c.options.readOnly ? { readOnly: true } : {}),
        ...(c.options.description !== undefined ? { description: c.options.description } : {}),
      });
      c.print(s, `Share "${s.name}" is ready at ${s.path}.\nConnect from a Mac: ${s.connect.macos}\nFrom Linux:        ${s.connect.smbclient}${s.connect.windows ? `\nFrom Windows:      ${s.connect.windows}` : ''}`);
      return 0;
    }
    case 'rm': {
      if (!arg) throw new CliError('Give the name of the share to remove: hearth share rm <name> [--delete-files]');
      const deleteFiles = c.options.deleteFiles === true;
      let confirm: string | undefined;
      if (deleteFiles) {
        if (c.options.yes) confirm = arg;
        else if (process.stdin.isTTY) confirm = await ask(`This deletes every file in the share "${arg}". Type its name to confirm: `);
        else throw new CliError('Deleting the files needs confirmation: run it in a terminal and type the share name, or add --yes in scripts.');
      }
      const r = await callDaemon(c.dataDir, 'POST', '/shares/remove', { name: arg, deleteFiles, ...(confirm !== undefined ? { confirm } : {}) });
      c.print(r, deleteFiles ? `Removed the share "${arg}" and deleted its files.` : `Removed the share "${arg}"; its files are still on the box.`);
      return 0;
    }
    default:
      throw new CliError(`Unknown share command "${verb}". Use: hearth share ls | add <name> | rm <name>`);
  }
}

/** `hearth smb-password`: the new password from stdin (asked twice on a terminal). */
export async function smbPasswordCommand(c: ShareCommandContext): Promise<number> {
  const password = await readSecret('New SMB password (8 or more characters): ');
  if (process.stdin.isTTY) {
    const again = await readSecret('The same again: ');
    if (again !== password) throw new CliError('The two passwords differ; nothing was changed.');
  }
  const r = await callDaemon<{ set: boolean; username: string }>(c.dataDir, 'POST', '/smb-password', { password });
  c.print(r, `SMB password set. Connect as ${r.username} with it.`);
  return 0;
}

async function ask(prompt: string): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  const answer = await new Promise<string>((res) => rl.question(prompt, res));
  rl.close();
  return answer.trim();
}
