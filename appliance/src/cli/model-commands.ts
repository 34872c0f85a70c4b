import { resolve } from 'node:path';
import type { InstalledModel } from '../config/schema.js';
import type { ApiTokenView } from '../models/api/api-tokens.js';
import type { DownloadStatus } from '../models/download/model-downloader.js';
import type { FitVerdict } from '../models/catalog/fit.js';
import { SYNTH_SHAPES, SYNTH_TYPES, writeSyntheticModel, type SynthShapeName, type SynthType } from '../models/gguf/synth.js';
import { callDaemon, CliError } from './control-client.js';

export interface CommandContext {
  dataDir: string;
  json: boolean;
  print: (value: unknown, human: string) => void;
  options: { id?: string; name?: string; out?: string; shape?: string; type?: string; override?: boolean; allowUnverified?: boolean };
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
    case 'pull': {
      if (!arg) throw new CliError('Give a catalog id or the https address of a GGUF file: hearth model pull <id|url>');
      const isUrl = /^[a-z]+:\/\//i.test(arg);
      const r = await callDaemon<{ verdict: FitVerdict; download: DownloadStatus | null; installed: InstalledModel | null }>(c.dataDir, 'POST', '/models/pull', {
        ...(isUrl ? { url: arg } : { id: arg }),
        override: c.options.override === true,
        allowUnverified: c.options.allowUnverified === true,
      });
      if (!c.json) process.stderr.write(`${r.verdict.name}: ${r.verdict.reason}\n`);
      if (r.installed || !r.download) {
        c.print(r, `Installed ${r.installed?.id}.`);
        return 0;
      }
      const final = await followDownload(c, r.download.id);
      c.print(final, final.state === 'done' ? `Downloaded and verified ${final.file} (sha256 ${final.sha256?.slice(0, 12)}…).` : `Download ${final.state}: ${final.error ?? ''}`);
      return final.state === 'done' ? 0 : 1;
    }
    case 'synth': {
      const out = c.options.out;
      if (!out) throw new CliError('Give the file to write: hearth model synth --out file.gguf [--shape tiny|demo|1b] [--type f32|f16|q8_0]');
      const shape = (c.options.shape ?? 'tiny') as SynthShapeName;
      const type = (c.options.type ?? 'q8_0') as SynthType;
      if (!(shape in SYNTH_SHAPES)) throw new CliError(`--shape is one of ${Object.keys(SYNTH_SHAPES).join(', ')}`);
      if (!(type in SYNTH_TYPES)) throw new CliError(`--type is one of ${Object.keys(SYNTH_TYPES).join(', ')}`);
      const r = await writeSyntheticModel({ out: resolve(out), shape, type });
      c.print(r, `Wrote ${r.path}: ${gib(r.bytes)} of random weights (${shape}, ${type}) in ${(r.elapsedMs / 1000).toFixed(1)} s. It loads and generates, but its answers are noise.`);
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
      throw new CliError(`Unknown model command "${verb}". Use: hearth model ls | pull <id|url> | add <file.gguf> | use <id> | rm <id> | synth --out FILE`);
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

const bar = (fraction: number, width = 28) => {
  const full = Math.round(Math.max(0, Math.min(1, fraction)) * width);
  return `[${'#'.repeat(full)}${'.'.repeat(width - full)}]`;
};

const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB`;

/** Poll the download and draw a progress bar until it settles; Ctrl-C leaves it running on the box. */
async function followDownload(c: CommandContext, id: string): Promise<DownloadStatus> {
  const tty = process.stderr.isTTY && !c.json;
  let lastLine = 0;
  process.once('SIGINT', () => {
    process.stderr.write(`\nThe download goes on in the background on the box; \`hearth model ls\` shows it.\n`);
    process.exit(130);
  });
  for (;;) {
    const d = await callDaemon<DownloadStatus>(c.dataDir, 'GET', `/models/downloads/${encodeURIComponent(id)}`);
    if (!c.json) {
      const total = d.totalBytes ?? 0;
      const pct = total > 0 ? d.receivedBytes / total : 0;
      const eta = d.etaSeconds === null ? '' : ` · ${d.etaSeconds < 60 ? `${Math.round(d.etaSeconds)} s` : `${Math.round(d.etaSeconds / 60)} min`} left`;
      const line = `${bar(pct)} ${(pct * 100).toFixed(0).padStart(3)} %  ${mb(d.receivedBytes)}${total ? ` of ${mb(total)}` : ''} · ${mb(d.bytesPerSecond)}/s${eta}  ${d.state}`;
      if (tty) process.stderr.write(`\r${line.padEnd(100)}`);
      else if (Date.now() - lastLine > 5000 || ['done', 'failed', 'cancelled', 'paused'].includes(d.state)) {
        process.stderr.write(line + '\n');
        lastLine = Date.now();
      }
    }
    if (d.state === 'done' || d.state === 'failed' || d.state === 'cancelled' || d.state === 'paused') {
      if (tty) process.stderr.write('\n');
      return d;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}
