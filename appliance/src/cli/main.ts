#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { VERSION } from '../version.js';
import { daemonSettings, runDaemon } from '../daemon.js';
import type { StatusView } from '../control/routes.js';
import type { SetupState } from '../setup/setup-wizard.js';
import type { DeviceView } from '../device/device.js';
import { callDaemon, cliDataDir, CliError } from './control-client.js';
import { readSecret } from './read-secret.js';
import { modelCommand, tokenCommand } from './model-commands.js';
import { shareCommand, smbPasswordCommand } from './share-commands.js';
import { agentCommand, askCommand, libraryCommand } from './agent-commands.js';
import { energyCommand, telemetryCommand } from './telemetry-commands.js';
import { factoryResetCommand, initCommand } from './device-commands.js';

const USAGE = `Usage: hearth <command> [options]

Commands:
  serve [--dev]                      start hearthd in the foreground (--dev: data in ./var, port 8080)
  status                             what the running box is doing and where to reach it
  setup-code                         print the current setup code (until the box is claimed)
  setup --owner NAME [--name BOX] [--hostname HOST]
                                     claim and finish setup without a browser; password from stdin
  rename [--name BOX] [--hostname HOST]
                                     change the name shown on the network and/or the extra host name
                                     (--hostname "" removes it; hearth-xxxx.local always answers)
  reset-password                     clear the owner's password and make a new setup code (data kept)
  factory-reset [--yes] [--no-reboot]
                                     erase everything (asks to type the box's hearth-xxxx name); on the box
                                     it restarts into the reset, elsewhere it happens when hearthd next starts
  init [--hostname HOST]             first boot, before hearthd starts: make the identity and the setup code,
                                     carry out a requested reset, set the host name once
  version                            print the version
  model ls | use ID | rm ID          the models on the box; the active one serves every request
  model pull ID|URL [--override] [--allow-unverified]
                                     download a catalog model or any https GGUF, with a progress bar
  model add FILE [--id ID] [--name NAME]
                                     import a GGUF file that is already on the box
  model synth --out FILE [--shape tiny|demo|1b] [--type f32|f16|q8_0]
                                     write a synthetic model (random weights) for offline tries
  token ls | create NAME | revoke NAME
                                     bearer tokens for the OpenAI-compatible API at /v1
  share ls                           the folder shares, their usage and how to connect
  share add NAME [--path DIR] [--agents none|read|read-write] [--read-only] [--description TEXT]
                                     share a new folder (<data>/shares/NAME) or an existing one (--path)
  share rm NAME [--delete-files] [--yes]
                                     stop sharing; the files stay unless --delete-files (asks for the name)
  smb-password                       set the SMB password of the owner's login (read from stdin)
  agent ls                           the agents, their triggers, last runs and queues
  agent enable|disable NAME          turn an agent on or off
  agent run NAME                     run an agent now (a folder agent looks through its shares again)
  library ls                         the documents the agents filed
  library search WORDS               full-text search of the library
  ask QUESTION                       a question answered from your files, with its sources
  telemetry                          the current readings (load, memory, temperatures, power) with their sources
  energy                             energy and cost today, this week and month, and per agent
  flash IMAGE DEVICE-OR-FILE [--provision FILE.json] [--yes]
                                     write a Hearth image (.img or .img.zst) to a disk, verify it,
                                     and put a provisioning file on its boot partition

Options:
  --json                             machine-readable output
  --data-dir DIR                     the data directory of the daemon to talk to
                                     (default: $HEARTH_DATA_DIR, ./var if a dev daemon runs there, else /var/lib/hearth)
`;

type Flags = { json: boolean; dataDir: string };

function print(flags: Flags, value: unknown, human: string): void {
  process.stdout.write(flags.json ? JSON.stringify(value, null, 2) + '\n' : human + '\n');
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      json: { type: 'boolean', default: false },
      dev: { type: 'boolean', default: false },
      'data-dir': { type: 'string' },
      owner: { type: 'string' },
      name: { type: 'string' },
      hostname: { type: 'string' },
      id: { type: 'string' },
      out: { type: 'string' },
      shape: { type: 'string' },
      type: { type: 'string' },
      override: { type: 'boolean', default: false },
      'allow-unverified': { type: 'boolean', default: false },
      path: { type: 'string' },
      agents: { type: 'string' },
      'read-only': { type: 'boolean', default: false },
      description: { type: 'string' },
      'delete-files': { type: 'boolean', default: false },
      yes: { type: 'boolean', default: false },
      'no-reboot': { type: 'boolean', default: false },
      provision: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const command = positionals[0];
  if (values.help || !command || command === 'help') {
    process.stdout.write(USAGE);
    return command || values.help ? 0 : 2;
  }
  const flags: Flags = { json: values.json ?? false, dataDir: cliDataDir(process.env, values['data-dir']) };
  if (command === 'model' || command === 'token') {
    if (positionals.length > 3) throw new CliError(`Unexpected argument "${positionals[3]}". See \`hearth help\`.`);
    const options = {
      id: values.id,
      name: values.name,
      out: values.out,
      shape: values.shape,
      type: values.type,
      override: values.override,
      allowUnverified: values['allow-unverified'],
    };
    const ctx = { ...flags, print: (v: unknown, h: string) => print(flags, v, h), options };
    return (command === 'model' ? modelCommand : tokenCommand)(positionals[1], positionals[2], ctx);
  }
  if (command === 'share' || command === 'smb-password') {
    const limit = command === 'share' ? 3 : 1;
    if (positionals.length > limit) throw new CliError(`Unexpected argument "${positionals[limit]}". See \`hearth help\`.`);
    const ctx = {
      ...flags,
      print: (v: unknown, h: string) => print(flags, v, h),
      options: {
        path: values.path,
        agents: values.agents,
        readOnly: values['read-only'],
        description: values.description,
        deleteFiles: values['delete-files'],
        yes: values.yes,
      },
    };
    return command === 'share' ? shareCommand(positionals[1], positionals[2], ctx) : smbPasswordCommand(ctx);
  }
  if (command === 'agent' || command === 'library' || command === 'ask') {
    const ctx = { dataDir: flags.dataDir, print: (v: unknown, h: string) => print(flags, v, h) };
    if (command === 'ask') return askCommand(positionals.slice(1).join(' ') || undefined, ctx);
    if (command === 'library') return libraryCommand(positionals[1], positionals.slice(2).join(' ') || undefined, ctx);
    if (positionals.length > 3) throw new CliError(`Unexpected argument "${positionals[3]}". See \`hearth help\`.`);
    return agentCommand(positionals[1], positionals[2], ctx);
  }
  if (command === 'flash') {
    // The flash helper lives in provisioning/ (compiled on its own); loaded only for this command.
    type FlashCommand = (o: { image?: string; target?: string; provision?: string; yes?: boolean; extra?: string[] }) => Promise<number>;
    const url = new URL('../../../provisioning/dist/provisioning/src/flash.js', import.meta.url);
    const mod = (await import(url.href).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ERR_MODULE_NOT_FOUND') throw err;
      throw new CliError('The flash helper is not built: run `npm run build` (it builds provisioning/ too).');
    })) as { flashCommand: FlashCommand };
    return mod.flashCommand({ image: positionals[1], target: positionals[2], provision: values.provision, yes: values.yes, extra: positionals.slice(3) });
  }
  if (positionals.length > 1) throw new CliError(`Unexpected argument "${positionals[1]}". See \`hearth help\`.`);
  if (command === 'telemetry' || command === 'energy') {
    const ctx = { dataDir: flags.dataDir, print: (v: unknown, h: string) => print(flags, v, h) };
    return command === 'telemetry' ? telemetryCommand(ctx) : energyCommand(ctx);
  }

  switch (command) {
    case 'serve': {
      const env = values['data-dir'] ? { ...process.env, HEARTH_DATA_DIR: values['data-dir'] } : process.env;
      await runDaemon(daemonSettings(env, values.dev ?? false));
      return -1; // keeps running
    }
    case 'version':
      print(flags, { version: VERSION }, VERSION);
      return 0;
    case 'status': {
      const s = await callDaemon<StatusView>(flags.dataDir, 'GET', '/status');
      print(
        flags,
        s,
        [
          `${s.name}: running (hearthd ${s.version}, pid ${s.pid}, up ${formatDuration(s.uptimeSeconds)})`,
          ...(s.announcedName && s.announcedName !== s.name ? [`Shown on the network as "${s.announcedName}": another box there has this name.`] : []),
          `Setup:  ${s.setup === 'complete' ? 'complete' : 'waiting to be claimed (hearth setup-code)'}`,
          `Open:   ${s.urls.join('\n        ')}`,
          `Data:   ${s.dataDir}`,
        ].join('\n'),
      );
      return 0;
    }
    case 'setup-code': {
      const r = await callDaemon<{ setupCode: string | null; claimed: boolean }>(flags.dataDir, 'GET', '/setup-code');
      if (!r.setupCode) {
        if (flags.json) print(flags, r, '');
        else process.stderr.write('This box is already claimed; there is no setup code. To set a new owner password: hearth reset-password\n');
        return flags.json ? 0 : 1;
      }
      print(flags, r, r.setupCode);
      return 0;
    }
    case 'setup': {
      if (!values.owner) throw new CliError('Give the owner\u2019s user name: hearth setup --owner NAME [--name BOX]. The password is read from stdin.');
      const password = await readSecret(`Password for ${values.owner} (10 or more characters): `);
      const state = await callDaemon<SetupState>(flags.dataDir, 'POST', '/setup', {
        owner: values.owner,
        password,
        ...(values.name !== undefined ? { name: values.name } : {}),
        ...(values.hostname !== undefined ? { hostname: values.hostname } : {}),
      });
      print(flags, state, `Setup complete. ${state.device.name} is at ${state.device.localNames.map((n) => `http://${n}`).join(' and ')}; sign in as ${values.owner.trim().toLowerCase()}.`);
      return 0;
    }
    case 'rename': {
      if (values.name === undefined && values.hostname === undefined) throw new CliError('Give --name BOX and/or --hostname HOST.');
      const device = await callDaemon<DeviceView>(flags.dataDir, 'PUT', '/device', {
        ...(values.name !== undefined ? { name: values.name } : {}),
        ...(values.hostname !== undefined ? { hostname: values.hostname } : {}),
      });
      print(flags, device, `Renamed: ${device.name}, at ${device.localNames.join(' and ')}.`);
      return 0;
    }
    case 'init':
      return initCommand({ ...flags, print: (v, h) => print(flags, v, h), hostname: values.hostname });
    case 'factory-reset':
      return factoryResetCommand({ ...flags, print: (v, h) => print(flags, v, h), yes: values.yes ?? false, noReboot: values['no-reboot'] ?? false, env: process.env });
    case 'reset-password': {
      const r = await callDaemon<{ setupCode: string }>(flags.dataDir, 'POST', '/reset-password');
      print(flags, r, `The owner's password is cleared and everyone is signed out; all data is kept.\nOpen the box's page and claim it with this setup code to set a new password:\n\n  ${r.setupCode}\n`);
      return 0;
    }
    default:
      throw new CliError(`Unknown command "${command}". See \`hearth help\`.`);
  }
}

function formatDuration(seconds: number): string {
  if (seconds < 60) return `${seconds} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)} h ${Math.floor((seconds % 3600) / 60)} min`;
  return `${Math.floor(seconds / 86400)} d ${Math.floor((seconds % 86400) / 3600)} h`;
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exitCode = code;
  },
  (err: unknown) => {
    const known = err instanceof CliError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
    process.stderr.write(`hearth: ${(err as Error).message}\n`);
    if (!known) process.stderr.write(`${(err as Error).stack ?? ''}\n`);
    process.exitCode = known ? 1 : 70;
  },
);
