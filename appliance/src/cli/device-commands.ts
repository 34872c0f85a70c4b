import { execFile } from 'node:child_process';
import { connect } from 'node:net';
import { readFile, stat } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Logger } from '../log.js';
import { ConfigStore } from '../config/config-store.js';
import { writeFileAtomic } from '../config/atomic-file.js';
import { Auth } from '../auth/auth.js';
import { checkHostname, factoryHostname } from '../device/names.js';
import { ESP_FACTORY_RESET_FILE, FACTORY_RESET_REQUEST, FactoryReset, requestFactoryReset } from '../device/factory-reset.js';
import { CliError } from './control-client.js';

interface Ctx {
  dataDir: string;
  json: boolean;
  print: (value: unknown, human: string) => void;
}

export interface InitView {
  id: string;
  suffix: string;
  factoryHostname: string;
  hostname: string;
  setup: 'pending' | 'complete';
  setupCode: string | null;
}

/** Everything on stderr: with --json, stdout carries only the answer. */
function stderrLogger(scope: string): Logger {
  const emit = (level: string) => (msg: string, fields?: Record<string, unknown>) => {
    if (level === 'debug' && process.env.HEARTH_LOG_LEVEL !== 'debug') return;
    const extra = fields && Object.keys(fields).length > 0 ? ' ' + JSON.stringify(fields) : '';
    process.stderr.write(`${new Date().toISOString()} ${level.padEnd(5)} ${scope}: ${msg}${extra}\n`);
  };
  return { debug: emit('debug'), info: emit('info'), warn: emit('warn'), error: emit('error'), child: (sub) => stderrLogger(`${scope}/${sub}`) };
}

/** Whether a hearthd answers on this data dir's control socket (a stale socket file does not count). */
export function daemonAnswers(dataDir: string, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(join(dataDir, 'hearthd.sock'));
    const done = (answer: boolean) => {
      socket.destroy();
      resolve(answer);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', (err: NodeJS.ErrnoException) => done(err.code === 'EACCES')); // there, but not ours to talk to
  });
}

/**
 * `hearth init [--hostname NAME]`: first boot, before hearthd starts. Carries out a pending factory or
 * password reset, makes the identity and the setup code, and sets the provisioned host name once.
 * Quick on purpose: no model, no network, no Samba.
 */
export async function initCommand(ctx: Ctx & { hostname?: string }): Promise<number> {
  const hostname = ctx.hostname === undefined ? null : checkHostname(ctx.hostname);
  if (hostname && !hostname.ok) {
    process.stderr.write(`hearth: ${hostname.error} Nothing was changed.\n`);
    return 2;
  }
  if (await daemonAnswers(ctx.dataDir)) {
    throw new CliError(`hearthd is already running with data in ${ctx.dataDir}; \`hearth init\` is for before it starts. See \`hearth status\` and \`hearth setup-code\`.`);
  }
  const log = stderrLogger('hearth-init');
  await new FactoryReset(ctx.dataDir, log.child('factory-reset')).start();
  const config = new ConfigStore(ctx.dataDir, log.child('config'));
  await config.start();
  const auth = new Auth(config, log.child('auth'));
  try {
    await auth.start();
    if (hostname?.ok && hostname.value !== '' && config.data.device.hostname === '') {
      await config.update((c) => void (c.device.hostname = hostname.value));
      log.info(`host name set to ${hostname.value}`);
    }
    const d = config.data.device;
    const view: InitView = {
      id: d.id,
      suffix: d.suffix,
      factoryHostname: factoryHostname(d.suffix),
      hostname: d.hostname,
      setup: config.data.setup.state,
      setupCode: await auth.currentSetupCode(),
    };
    const names = [`http://${view.factoryHostname}.local`, ...(view.hostname ? [`http://${view.hostname}.local`] : [])];
    ctx.print(
      view,
      [
        `Hearth box ${view.factoryHostname} (id ${view.id})`,
        `Open:        ${names.join(' or ')}`,
        view.setupCode ? `Setup code:  ${view.setupCode}` : `Setup:       ${view.setup === 'complete' ? 'complete' : 'pending'}; the box has an owner (sign in)`,
      ].join('\n'),
    );
    return 0;
  } finally {
    await auth.stop();
    await config.stop();
  }
}

/** The factory host name from config.json (or its last good copy) without loading, migrating or writing anything. */
async function readFactoryHostname(dataDir: string): Promise<string | null> {
  for (const name of ['config.json', 'config.json.bak']) {
    try {
      const suffix = (JSON.parse(await readFile(join(dataDir, name), 'utf8')) as { device?: { suffix?: unknown } }).device?.suffix;
      if (typeof suffix === 'string' && /^[0-9a-f]{4}$/.test(suffix)) return factoryHostname(suffix);
    } catch {
      // missing or broken: try the next
    }
  }
  return null;
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

/** One line from a terminal, or the first line piped in. */
async function askLine(prompt: string): Promise<string> {
  if (!process.stdin.isTTY) {
    process.stderr.write(prompt + '\n');
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0] ?? '';
  }
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  const answer = await new Promise<string>((resolve) => rl.question(prompt, resolve));
  rl.close();
  return answer;
}

/**
 * `hearth factory-reset [--yes] [--no-reboot]`. On the box (an ESP with EFI/ at HEARTH_ESP_DIR, default
 * /efi) it leaves `hearth-factory-reset` there and reboots: early boot formats the data partition.
 * Elsewhere it leaves the request in the data dir, carried out when hearthd next starts.
 */
export async function factoryResetCommand(ctx: Ctx & { yes: boolean; noReboot: boolean; env: NodeJS.ProcessEnv }): Promise<number> {
  const name = await readFactoryHostname(ctx.dataDir);
  if (!ctx.yes) {
    const expected = name ?? 'erase';
    process.stderr.write(
      'This erases everything on the box: the owner, the models, the files in shares kept on the box, the agents and their history.\n' +
        'Folders shared from outside the box\u2019s data are left alone. Afterwards the box is unclaimed, with a new setup code.\n',
    );
    const answer = (await askLine(`Type ${expected} to confirm: `)).trim();
    if (answer !== expected) throw new CliError(`Not confirmed: you typed "${answer}", not ${expected}. Nothing was changed.`);
  }
  const esp = ctx.env.HEARTH_ESP_DIR || '/efi';
  const after = `It comes back unclaimed${name ? ` at http://${name}.local` : ''} with a new setup code, shown on its screen or console.`;
  if (await isDirectory(join(esp, 'EFI'))) {
    const path = join(esp, ESP_FACTORY_RESET_FILE);
    await writeFileAtomic(path, JSON.stringify({ requestedAt: new Date().toISOString(), by: 'cli' }) + '\n', { mode: 0o644 });
    const reboot = !ctx.noReboot;
    ctx.print(
      { requested: true, via: 'esp', path, reboot },
      reboot ? `Restarting to erase the box. ${after}` : `The box is erased at its next start (${path} is in place). ${after}`,
    );
    if (reboot) {
      try {
        await promisify(execFile)('systemctl', ['reboot']);
      } catch (err) {
        throw new CliError(`The reset is requested, but the reboot failed (${(err as Error).message.trim()}). Restart the box to carry it out.`);
      }
    }
    return 0;
  }
  if (!(await isDirectory(ctx.dataDir))) throw new CliError(`There is no data directory at ${ctx.dataDir}: nothing to reset.`);
  await requestFactoryReset(ctx.dataDir, 'cli');
  const running = await daemonAnswers(ctx.dataDir);
  ctx.print(
    { requested: true, via: 'data-dir', path: join(ctx.dataDir, FACTORY_RESET_REQUEST), reboot: false, running },
    `The reset happens when hearthd next starts${running ? ' (it is running now: restart it)' : ''}. ${after}`,
  );
  return 0;
}
