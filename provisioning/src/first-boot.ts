#!/usr/bin/env node
// Runs as root on every boot of the box, after the data partition is mounted and before
// hearthd starts (hearth-firstboot.service). It
//   - makes the box's own SSH host key (once),
//   - turns a `hearth-reset-password` file on the boot partition into hearthd's request,
//   - applies `hearth-provision.json` once (all of it or, if anything is invalid, none),
//   - has hearthd's CLI make or load the identity and setup code (`hearth init`),
//   - sets the host name and writes the console banner: the setup code and address until
//     setup is complete.
// Everything it writes is on the data partition, so a factory reset undoes it.

import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync, openSync, fsyncSync, closeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterApplying, parseProvisionFile, PROVISION_FILE, RESET_PASSWORD_FILE, type Provision } from './provision-file.js';

const env = process.env;
const ESP = env.HEARTH_ESP_DIR ?? '/efi';
const SYSTEM = env.HEARTH_SYSTEM_DIR ?? '/var/lib/hearth/system';
const DATA = env.HEARTH_DATA_DIR ?? '/var/lib/hearth/data';
const RUN = env.HEARTH_RUN_DIR ?? '/run/hearth';
const CLI = env.HEARTH_CLI ?? '/usr/lib/hearth/appliance/dist/cli/main.js';
const SERVICE_USER = env.HEARTH_SERVICE_USER ?? 'hearth';
const ZONEINFO = env.HEARTH_ZONEINFO ?? '/usr/share/zoneinfo';
const HOSTNAME_FILE = env.HEARTH_HOSTNAME_FILE ?? '/proc/sys/kernel/hostname';

interface InitResult {
  id: string;
  suffix: string;
  factoryHostname: string;
  hostname: string;
  setup: 'pending' | 'complete';
  setupCode: string | null;
}

const say = (line: string) => process.stdout.write(`Hearth: ${line}\n`);

/** Temp file, fsync, rename: a power cut leaves the old file or the new one. */
function writeAtomic(path: string, content: string, mode = 0o644): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, content, { mode });
  const fd = openSync(tmp, 'r');
  fsyncSync(fd);
  closeSync(fd);
  renameSync(tmp, path);
  // The rename itself must reach the disk too (the boot partition is FAT: no journal).
  const dir = openSync(dirname(path), 'r');
  fsyncSync(dir);
  closeSync(dir);
}

function serviceIds(): { uid: number; gid: number } {
  const line = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith(`${SERVICE_USER}:`));
  if (!line) throw new Error(`the service user "${SERVICE_USER}" does not exist`);
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

function ensureHostKey(): void {
  const key = join(SYSTEM, 'ssh', 'ssh_host_ed25519_key');
  if (existsSync(key)) return;
  mkdirSync(dirname(key), { recursive: true, mode: 0o755 });
  rmSync(`${key}.new`, { force: true });
  rmSync(`${key}.new.pub`, { force: true });
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'hearth host key', '-f', `${key}.new`]);
  renameSync(`${key}.new.pub`, `${key}.pub`);
  renameSync(`${key}.new`, key);
  say('made this box\'s SSH host key.');
}

function passwordResetRequest(): void {
  const file = join(ESP, RESET_PASSWORD_FILE);
  if (!existsSync(file)) return;
  const { uid, gid } = serviceIds();
  const marker = join(DATA, 'reset-password-request');
  writeAtomic(marker, JSON.stringify({ requestedAt: new Date().toISOString(), by: 'boot-partition' }) + '\n', 0o600);
  chownSync(marker, uid, gid);
  rmSync(file, { force: true });
  say('the owner password will be cleared (hearth-reset-password found on the boot partition); the data is kept.');
}

/** The iwd file name for a network: the SSID itself when plain, else "=" and its hex. */
function iwdFileName(ssid: string, security: 'psk' | 'open'): string {
  return /^[A-Za-z0-9_-]+$/.test(ssid) ? `${ssid}.${security}` : `=${Buffer.from(ssid, 'utf8').toString('hex')}.${security}`;
}

interface Applied {
  provision: Provision | null;
  /** Applied by this boot (not found already applied). */
  fresh: boolean;
  errors: string[];
}

/** Checks the whole file first; applies it only if all of it is valid and it was not applied before. */
function applyProvisionFile(): Applied {
  const path = join(ESP, PROVISION_FILE);
  if (!existsSync(path)) return { provision: null, fresh: false, errors: [] };
  const check = parseProvisionFile(readFileSync(path, 'utf8'));
  if (!check.ok) {
    for (const e of check.errors) say(`${PROVISION_FILE} ignored: ${e}`);
    return { provision: null, fresh: false, errors: check.errors };
  }
  const p = check.value;
  if (p.applied) return { provision: p, fresh: false, errors: [] };

  // Every check that can fail happens before the first change.
  if (p.timezone && !existsSync(join(ZONEINFO, p.timezone))) {
    const e = `timezone: this box has no zone "${p.timezone}".`;
    say(`${PROVISION_FILE} ignored: ${e}`);
    return { provision: null, fresh: false, errors: [e] };
  }

  const fields: string[] = [];
  if (p.timezone) {
    const link = join(SYSTEM, 'localtime');
    const tmp = `${link}.tmp-${process.pid}`;
    rmSync(tmp, { force: true });
    symlinkSync(join(ZONEINFO, p.timezone), tmp);
    renameSync(tmp, link);
    writeAtomic(join(SYSTEM, 'timezone'), `${p.timezone}\n`);
    fields.push('timezone');
  }
  if (p.sshAuthorizedKeys) {
    mkdirSync(join(SYSTEM, 'ssh'), { recursive: true, mode: 0o755 });
    writeAtomic(join(SYSTEM, 'ssh', 'authorized_keys'), p.sshAuthorizedKeys.join('\n') + '\n', 0o600);
    fields.push('sshAuthorizedKeys');
  }
  if (p.setupCode) {
    // hearthd adopts a code found here when it has none yet (first boot).
    const { uid, gid } = serviceIds();
    const file = join(DATA, 'setup-code');
    writeAtomic(file, `${p.setupCode}\n`, 0o600);
    chownSync(file, uid, gid);
    fields.push('setupCode');
  }
  if (p.wifi) {
    const dir = join(SYSTEM, 'iwd');
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const body = p.wifi.password ? `[Security]\nPassphrase=${p.wifi.password}\n` : '[Settings]\nAutoConnect=true\n';
    writeAtomic(join(dir, iwdFileName(p.wifi.ssid, p.wifi.password ? 'psk' : 'open')), body, 0o600);
    if (p.wifi.country) writeAtomic(join(SYSTEM, 'wifi-country'), `${p.wifi.country}\n`);
    fields.push('wifi');
  }
  if (p.hostname) fields.push('hostname'); // given to hearthd by `hearth init --hostname`
  return { provision: { ...p, applied: { at: new Date().toISOString(), fields } }, fresh: true, errors: [] };
}

/** Secrets leave the boot partition once applied; the file keeps a record of what was done. */
function markApplied(p: Provision): void {
  if (!p.applied) return;
  const kept = afterApplying(p, p.applied.fields, new Date(p.applied.at));
  writeAtomic(join(ESP, PROVISION_FILE), JSON.stringify(kept, null, 2) + '\n', 0o600);
  writeAtomic(join(SYSTEM, 'provisioned'), JSON.stringify(kept.applied) + '\n');
  say(`applied ${PROVISION_FILE} (${p.applied.fields.join(', ') || 'nothing to change'}); its secrets were removed from the boot partition.`);
}

function hearthInit(hostname: string | undefined): InitResult {
  const args = ['-u', SERVICE_USER, '--', process.execPath, CLI, 'init', '--json', ...(hostname ? ['--hostname', hostname] : [])];
  const out = execFileSync('runuser', args, { env: { ...env, HEARTH_DATA_DIR: DATA }, encoding: 'utf8', timeout: 60_000 });
  // With --json the CLI's stdout is only the answer, pretty-printed over several lines.
  return JSON.parse(out) as InitResult;
}

function setHostname(name: string): void {
  try {
    writeFileSync(HOSTNAME_FILE, name);
    writeAtomic(join(SYSTEM, 'hostname'), `${name}\n`);
  } catch (err) {
    say(`could not set the host name to ${name}: ${(err as Error).message}`);
  }
}

/** /run/hearth/issue, shown by the login prompt on screen and serial (/etc/issue.d links to it). */
function banner(init: InitResult, problems: string[]): string {
  const host = `${init.hostname || init.factoryHostname}.local`;
  const lines = ['', '  Hearth'];
  if (init.setup === 'pending' && init.setupCode) {
    lines.push(`  Set me up: open http://${host} (or http://\\4) in a browser`);
    lines.push(`  Setup code: ${init.setupCode}`);
  } else {
    lines.push(`  Open http://${host} (or http://\\4)`);
  }
  for (const p of problems) lines.push(`  ${PROVISION_FILE} was not applied: ${p}`);
  return lines.join('\n') + '\n\n';
}

function main(): void {
  mkdirSync(SYSTEM, { recursive: true, mode: 0o755 });
  ensureHostKey();
  passwordResetRequest();
  const { provision, fresh, errors } = applyProvisionFile();
  const init = hearthInit(fresh ? provision?.hostname : undefined);
  if (fresh && provision) markApplied(provision);
  setHostname(init.hostname || init.factoryHostname);
  mkdirSync(RUN, { recursive: true });
  writeAtomic(join(RUN, 'issue'), banner(init, errors));
  const host = `${init.hostname || init.factoryHostname}.local`;
  if (init.setup === 'pending' && init.setupCode) say(`set me up at http://${host} with the setup code ${init.setupCode}`);
  else say(`ready at http://${host}`);
}

try {
  main();
} catch (err) {
  say(`first-boot step failed: ${(err as Error).message}`);
  process.exitCode = 1;
}
