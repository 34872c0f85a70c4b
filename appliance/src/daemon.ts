import { resolve } from 'node:path';
import { Hearth } from './hearth.js';
import { createLogger } from './log.js';
import { ConfigTooNewError } from './config/migrations.js';

export interface DaemonSettings {
  dev: boolean;
  dataDir: string;
  host: string;
  port: number;
  smb: { mode: 'private' | 'system' | 'off'; port: number; programDir?: string };
}

/** Environment contract (DESIGN.md): HEARTH_DATA_DIR, HEARTH_PORT, HEARTH_HOST; --dev switches the defaults. */
export function daemonSettings(env: NodeJS.ProcessEnv, dev: boolean): DaemonSettings {
  const portText = env.HEARTH_PORT ?? (dev ? '8080' : '80');
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`HEARTH_PORT must be a port number (0 to 65535), not "${portText}"`);
  const smbMode = env.HEARTH_SMB ?? 'private';
  if (smbMode !== 'private' && smbMode !== 'system' && smbMode !== 'off') throw new Error(`HEARTH_SMB must be private, system or off, not "${smbMode}"`);
  const smbPortText = env.HEARTH_SMB_PORT ?? (dev ? '1445' : '445');
  const smbPort = Number(smbPortText);
  if (!Number.isInteger(smbPort) || smbPort < 1 || smbPort > 65535) throw new Error(`HEARTH_SMB_PORT must be a port number (1 to 65535), not "${smbPortText}"`);
  return {
    dev,
    smb: { mode: smbMode, port: smbPort, ...(env.HEARTH_SAMBA_DIR ? { programDir: env.HEARTH_SAMBA_DIR } : {}) },
    dataDir: resolve(env.HEARTH_DATA_DIR ?? (dev ? 'var' : '/var/lib/hearth')),
    host: env.HEARTH_HOST ?? '0.0.0.0',
    port,
  };
}

const STOP_DEADLINE_MS = 5_000;

/** HEARTH_TELEMETRY_SAMPLING=off: no sensor reads at all (to measure what sampling costs; the box then shows no readings). */
function sampling(text: string | undefined): boolean {
  if (text === undefined || text === '' || text === 'on') return true;
  if (text === 'off') return false;
  throw new Error(`HEARTH_TELEMETRY_SAMPLING must be on or off, not "${text}"`);
}

/** HEARTH_AGENT_SETTLE_MS: how long a file must be still before agents read it (tests shorten it). */
function settleMs(text: string | undefined): number | undefined {
  if (text === undefined || text === '') return undefined;
  const ms = Number(text);
  if (!Number.isInteger(ms) || ms < 50 || ms > 600_000) throw new Error(`HEARTH_AGENT_SETTLE_MS must be milliseconds from 50 to 600000, not "${text}"`);
  return ms;
}

/** Start hearthd in the foreground, print how to reach it, stop cleanly on SIGTERM/SIGINT. */
export async function runDaemon(settings: DaemonSettings): Promise<void> {
  const log = createLogger();
  const hearth = new Hearth({
    dataDir: settings.dataDir,
    host: settings.host,
    port: settings.port,
    log,
    catalogPath: process.env.HEARTH_CATALOG || undefined,
    allowLoopbackHttp: process.env.HEARTH_ALLOW_LOOPBACK_HTTP === '1',
    smb: settings.smb,
    appliance: process.env.HEARTH_APPLIANCE === '1',
    agents: { settleMs: settleMs(process.env.HEARTH_AGENT_SETTLE_MS) },
    telemetry: {
      sampling: sampling(process.env.HEARTH_TELEMETRY_SAMPLING),
      // Fixture sensor trees instead of /sys and /proc (tests, demos).
      sysRoot: process.env.HEARTH_SYS_ROOT || undefined,
      procRoot: process.env.HEARTH_PROC_ROOT || undefined,
    },
  });
  try {
    await hearth.start();
  } catch (err) {
    const message = err instanceof ConfigTooNewError ? err.message : (err as Error).message;
    process.stderr.write(`hearthd: ${message}\n`);
    process.exit(1);
  }
  await printBanner(hearth, settings);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info(`${signal}: stopping`);
    const deadline = setTimeout(() => {
      log.error(`did not stop within ${STOP_DEADLINE_MS / 1000} s; exiting anyway`);
      process.exit(1);
    }, STOP_DEADLINE_MS);
    deadline.unref();
    await hearth.stop();
    log.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

async function printBanner(hearth: Hearth, settings: DaemonSettings): Promise<void> {
  const status = hearth.status();
  const code = await hearth.auth.currentSetupCode();
  const lines = [
    '',
    `  Hearth ${status.version} is running${settings.dev ? ' (development mode)' : ''}`,
    '',
    ...status.urls.map((u, i) => `  ${i === 0 ? 'Open:' : ''.padEnd(5)}        ${u}`),
    `  Setup code:  ${code ?? '(claimed: sign in as the owner)'}`,
    `  Data:        ${status.dataDir}`,
    '',
  ];
  process.stdout.write(lines.join('\n') + '\n');
}
