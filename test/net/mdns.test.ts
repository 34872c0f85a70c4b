// mDNS for real: hearthd in network namespaces on a private bridge, seen by Debian's avahi
// (avahi-browse, avahi-resolve) and by a bonjour-service browser from another namespace.
// Needs root, iproute2, avahi-daemon, avahi-utils and dbus; without them it fails, it never skips.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { controlRequest, ROOT, startDaemon, type RunningDaemon } from '../helpers/daemon.js';
import { Lab, missingPrerequisites, removeStaleLabs, run, waitFor, type AvahiEntry } from './lab.js';

const A_IP = '10.77.0.1'; // first hearthd
const B_IP = '10.77.0.2'; // the browser: avahi-daemon + bonjour-service
const C_IP = '10.77.0.3'; // second hearthd, same name as the first
const D_IP1 = '10.77.0.4'; // third hearthd: starts with no address, gets this one later...
const D_IP2 = '10.77.0.5'; // ...then this one instead
const E_IP = '10.77.0.6'; // a hearthd whose web UI listens on loopback only
const F_IP = '10.77.0.7'; // two boxes renamed to the same name at the same moment
const G_IP = '10.77.0.8';
const PASSWORD = 'correct horse battery';

interface Identity {
  id: string;
  suffix: string;
}

interface BrowsedService {
  name: string;
  host: string;
  port: number;
  txt: Record<string, string>;
  addresses: string[];
}

const lab = new Lab();
const daemons: Record<string, RunningDaemon> = {};
let prerequisiteError: Error | null = null;

const identity = (d: RunningDaemon): Identity => {
  const c = JSON.parse(readFileSync(join(d.dataDir, 'config.json'), 'utf8')) as { device: Identity };
  return { id: c.device.id, suffix: c.device.suffix };
};
const factoryHost = (d: RunningDaemon) => `hearth-${identity(d).suffix}.local`;

/** Run the bonjour-service browser inside the browser namespace and return what it saw. */
async function bonjourBrowse(type: 'hearth' | 'http', ms = 1_800): Promise<BrowsedService[]> {
  const r = await run('ip', ['netns', 'exec', lab.ns('b'), process.execPath, '--import', 'tsx', join(ROOT, 'test/net/browse.ts'), type, B_IP, String(ms)], {
    cwd: ROOT,
    timeoutMs: ms + 8_000,
  });
  if (r.code !== 0) throw new Error(`browse.ts failed (${r.code ?? 'timeout'}): ${r.stderr.trim()}`);
  const parsed = JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as { services: BrowsedService[]; errors: string[] };
  return parsed.services;
}

/** The resolved avahi entry for an instance name, or an error describing what avahi shows instead. */
function resolved(entries: AvahiEntry[], name: string): AvahiEntry {
  const hit = entries.find((e) => e.event === '=' && e.name === name);
  if (!hit) throw new Error(`avahi shows ${JSON.stringify(entries.filter((e) => e.event === '=').map((e) => [e.name, e.host, e.address, e.port, e.txt]))}`);
  return hit;
}

/** Failures carry the daemons' own logs: that is where the reason usually is. */
async function withLogs(fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (err) {
    const logs = Object.entries(daemons)
      .map(([k, d]) => `--- hearthd ${k} ---\n${d.output().split('\n').slice(-40).join('\n')}`)
      .join('\n');
    (err as Error).message += `\n${logs}\n${lab.daemonLogs().split('\n').slice(-30).join('\n')}`;
    throw err;
  }
}

describe('mDNS discovery on a private LAN', { timeout: 110_000 }, () => {
  before(async () => {
    const problems = missingPrerequisites();
    if (problems.length > 0) {
      prerequisiteError = new Error(`cannot run the mDNS test: ${problems.join('; ')}`);
      throw prerequisiteError;
    }
    const build = join(ROOT, 'appliance/dist/hearthd.js');
    try {
      readFileSync(build);
    } catch {
      throw (prerequisiteError = new Error(`cannot run the mDNS test: ${build} is missing; run npm run -s build:appliance first`));
    }
    await removeStaleLabs();
    await lab.create();
    await lab.addHost('a', `${A_IP}/24`);
    await lab.addHost('b', `${B_IP}/24`);
    await lab.addHost('c', `${C_IP}/24`);
    await lab.addHost('d'); // no address yet: DHCP is late, or the cable is not in
    await lab.addHost('e', `${E_IP}/24`);
    await lab.addHost('f', `${F_IP}/24`);
    await lab.addHost('g', `${G_IP}/24`);
    await lab.startAvahi('b');
    const start = (name: string, host = '0.0.0.0') =>
      startDaemon({
        prefix: ['ip', 'netns', 'exec', lab.ns(name)],
        host,
        dataDir: join(lab.dir, `data-${name}`),
        env: { HEARTH_LOG_LEVEL: 'debug' },
      }).then((d) => (daemons[name] = d));
    await Promise.all([start('a'), start('c'), start('d'), start('e', '127.0.0.1'), start('f'), start('g')]);
  }, { timeout: 40_000 });

  after(async () => {
    await Promise.all(Object.values(daemons).map((d) => d.stop('SIGKILL').catch(() => undefined)));
    await lab.destroy();
  }, { timeout: 20_000 });

  test('prerequisites: root, iproute2, avahi-daemon, avahi-utils, dbus', () => {
    assert.equal(prerequisiteError, null, prerequisiteError?.message);
  });

  test('avahi and bonjour-service find _hearth._tcp and _http._tcp with the right TXT, port and host', () =>
    withLogs(async () => {
      const a = daemons.a!;
      const { id, suffix } = identity(a);
      const name = `Hearth (${suffix})`;
      const host = `hearth-${suffix}.local`;

      const { value: hearth } = await waitFor(`avahi-browse to list "${name}" (_hearth._tcp)`, 10_000, async () => resolved(await lab.avahiBrowse('b', '_hearth._tcp'), name));
      assert.equal(hearth.host, host);
      assert.equal(hearth.address, A_IP);
      assert.equal(hearth.port, a.port);
      assert.deepEqual(hearth.txt, { id, version: expectedVersion(), setup: 'pending', api: '/api' });

      const { value: http } = await waitFor(`avahi-browse to list "${name}" (_http._tcp)`, 10_000, async () => resolved(await lab.avahiBrowse('b', '_http._tcp'), name));
      assert.equal(http.host, host);
      assert.equal(http.port, a.port);
      assert.deepEqual(http.txt, { path: '/' });

      const { value: seen } = await waitFor(`bonjour-service to find "${name}"`, 10_000, async () => {
        const list = await bonjourBrowse('hearth');
        const s = list.find((x) => x.name === name);
        if (!s) throw new Error(`bonjour-service sees ${JSON.stringify(list.map((x) => x.name))}`);
        return s;
      });
      assert.equal(seen.host, host);
      assert.equal(seen.port, a.port);
      assert.deepEqual(seen.txt, { id, version: expectedVersion(), setup: 'pending', api: '/api' });
      assert.ok(seen.addresses.includes(A_IP), `addresses ${seen.addresses.join(', ')}`);
      const seenHttp = (await bonjourBrowse('http')).find((x) => x.name === name);
      assert.deepEqual(seenHttp?.txt, { path: '/' });
      assert.equal(seenHttp?.port, a.port);

      assert.equal(await lab.avahiResolve('b', host), A_IP);
      const v6 = await lab.linkLocal6('a');
      assert.ok(v6, 'namespace a has a link-local IPv6 address');
      assert.equal(await lab.avahiResolve('b', host, '6'), v6);
    }));

  test('finishing setup flips TXT setup to complete and renames to "Kitchen" without a restart', () =>
    withLogs(async () => {
      const a = daemons.a!;
      const { id, suffix } = identity(a);
      const pid = (await controlRequest<{ pid: number }>(a.socketPath, 'GET', '/status')).body.pid;
      const res = await controlRequest(a.socketPath, 'POST', '/setup', { owner: 'alice', password: PASSWORD, name: 'Kitchen', hostname: 'kitchen' });
      assert.equal(res.status, 200, JSON.stringify(res.body));

      const { value: entries, ms } = await waitFor('avahi-browse to show "Kitchen" with setup=complete and no old name', 10_000, async () => {
        const list = await lab.avahiBrowse('b', '_hearth._tcp');
        const k = resolved(list, 'Kitchen');
        if (k.txt?.setup !== 'complete') throw new Error(`Kitchen has TXT ${JSON.stringify(k.txt)}`);
        if (list.some((e) => e.name === `Hearth (${suffix})`)) throw new Error(`the old name is still listed: ${JSON.stringify(list)}`);
        return list;
      });
      const k = resolved(entries, 'Kitchen');
      assert.deepEqual(k.txt, { id, version: expectedVersion(), setup: 'complete', api: '/api' });
      assert.equal(k.host, factoryHost(a), 'the SRV target stays the factory host name');
      assert.ok(ms < 10_000);

      await waitFor('bonjour-service to see Kitchen with setup=complete', 10_000, async () => {
        const s = (await bonjourBrowse('hearth')).find((x) => x.name === 'Kitchen');
        if (s?.txt.setup !== 'complete') throw new Error(`bonjour-service sees ${JSON.stringify(s)}`);
        return s;
      });
      const http = resolved(await lab.avahiBrowse('b', '_http._tcp'), 'Kitchen');
      assert.equal(http.port, a.port);

      // The owner's host name answers, and the factory one keeps answering.
      assert.equal((await waitFor('kitchen.local to resolve', 8_000, () => lab.avahiResolve('b', 'kitchen.local'))).value, A_IP);
      assert.equal(await lab.avahiResolve('b', factoryHost(a)), A_IP);

      const after = (await controlRequest<{ pid: number }>(a.socketPath, 'GET', '/status')).body.pid;
      assert.equal(after, pid, 'same hearthd process: no restart');
    }));

  test('a second box named "Kitchen" announces as "Kitchen (2)" and both stay discoverable', () =>
    withLogs(async () => {
      const a = daemons.a!;
      const c = daemons.c!;
      const res = await controlRequest(c.socketPath, 'POST', '/setup', { owner: 'bob', password: PASSWORD, name: 'Kitchen' });
      assert.equal(res.status, 200, JSON.stringify(res.body));

      const { value: list } = await waitFor('avahi-browse to show "Kitchen" and "Kitchen (2)"', 10_000, async () => {
        const l = await lab.avahiBrowse('b', '_hearth._tcp');
        resolved(l, 'Kitchen');
        resolved(l, 'Kitchen (2)');
        return l;
      });
      const first = resolved(list, 'Kitchen');
      const second = resolved(list, 'Kitchen (2)');
      assert.deepEqual([first.txt?.id, first.address, first.host], [identity(a).id, A_IP, factoryHost(a)]);
      assert.deepEqual([second.txt?.id, second.address, second.host, second.port], [identity(c).id, C_IP, factoryHost(c), c.port]);
      assert.equal(resolved(await lab.avahiBrowse('b', '_http._tcp'), 'Kitchen (2)').port, c.port);

      const { value: seen } = await waitFor('bonjour-service to see both', 10_000, async () => {
        const l = await bonjourBrowse('hearth');
        const names = l.map((s) => s.name).sort();
        if (!names.includes('Kitchen') || !names.includes('Kitchen (2)')) throw new Error(`bonjour-service sees ${JSON.stringify(names)}`);
        return l;
      });
      assert.equal(seen.find((s) => s.name === 'Kitchen (2)')?.txt.id, identity(c).id);
      assert.equal(seen.find((s) => s.name === 'Kitchen')?.txt.id, identity(a).id);
      assert.equal(await lab.avahiResolve('b', factoryHost(c)), C_IP);
    }));

  test('SIGTERM sends goodbyes: the service leaves the browser view within seconds, not at TTL expiry', () =>
    withLogs(async () => {
      const c = daemons.c!;
      const { code, ms } = await c.stop('SIGTERM');
      assert.equal(code, 0, c.output());
      assert.ok(ms < 2_000, `hearthd took ${ms} ms to stop`);
      // The PTR record lives 75 minutes and SRV 2 minutes: only a goodbye makes it go this fast.
      const gone = await waitFor('"Kitchen (2)" to leave avahi-browse', 5_000, async () => {
        const l = await lab.avahiBrowse('b', '_hearth._tcp');
        if (l.some((e) => e.name === 'Kitchen (2)')) throw new Error(`still listed: ${JSON.stringify(l.map((e) => e.event + e.name))}`);
        return l;
      });
      assert.ok(gone.value.some((e) => e.name === 'Kitchen'), 'the other box is still there');
    }));

  test('an address that appears after start, then changes, resolves within 10 s each time', (t) =>
    withLogs(async () => {
      const d = daemons.d!;
      const host = factoryHost(d);
      await lab.addAddress('d', `${D_IP1}/24`);
      const first = await waitFor(`${host} -> ${D_IP1}`, 10_000, async () => {
        const ip = await lab.avahiResolve('b', host);
        if (ip !== D_IP1) throw new Error(`resolves to ${ip}`);
        return ip;
      });
      await lab.delAddress('d', `${D_IP1}/24`);
      await lab.addAddress('d', `${D_IP2}/24`);
      const second = await waitFor(`${host} -> ${D_IP2}`, 10_000, async () => {
        const ip = await lab.avahiResolve('b', host);
        if (ip !== D_IP2) throw new Error(`resolves to ${ip}`);
        return ip;
      });
      assert.equal(d.proc.exitCode, null, 'hearthd is still running');
      const name = `Hearth (${identity(d).suffix})`;
      const entry = resolved(await lab.avahiBrowse('b', '_hearth._tcp'), name);
      assert.equal(entry.address, D_IP2);
      t.diagnostic(`address added: resolved after ${first.ms} ms; address changed: after ${second.ms} ms`);
    }));

  test('two boxes that took the same name apart meet on one LAN: one moves to "Twin (2)"', (t) =>
    withLogs(async () => {
      const f = daemons.f!;
      const g = daemons.g!;
      // Isolated from each other (not from the browser) their probes cannot meet, so both take "Twin":
      // what two boxes renamed while on different networks, or probing at the same instant, look like.
      await lab.isolate('f', true);
      await lab.isolate('g', true);
      const results = await Promise.all([f, g].map((d) => controlRequest(d.socketPath, 'POST', '/setup', { owner: 'carol', password: PASSWORD, name: 'Twin' })));
      for (const r of results) assert.equal(r.status, 200, JSON.stringify(r.body));
      for (const d of [f, g]) {
        await waitFor('both to announce "Twin"', 8_000, async () => (/announcing "Twin" as/.test(d.output()) ? true : undefined), 100);
      }
      await lab.isolate('f', false);
      await lab.isolate('g', false);
      // Nothing changes on either box's links now: only hearing the other's answers can resolve it.
      const { value: list } = await waitFor('avahi-browse to show "Twin" and "Twin (2)", one each', 15_000, async () => {
        const l = (await lab.avahiBrowse('b', '_hearth._tcp')).filter((e) => e.event === '=' && e.name.startsWith('Twin'));
        const seenNow = l.map((e) => `${e.name}=${e.txt?.id}`).sort();
        if (l.length !== 2 || new Set(l.map((e) => e.name)).size !== 2 || new Set(l.map((e) => e.txt?.id)).size !== 2) throw new Error(`avahi shows ${JSON.stringify(seenNow)}`);
        return l;
      });
      assert.deepEqual(list.map((e) => e.name).sort(), ['Twin', 'Twin (2)']);
      assert.deepEqual(list.map((e) => e.txt?.id).sort(), [identity(f).id, identity(g).id].sort());
      // The rule: the lexicographically lower host name moves.
      const mover = factoryHost(f) < factoryHost(g) ? f : g;
      assert.equal(list.find((e) => e.name === 'Twin (2)')?.host, factoryHost(mover));
      const seen = await bonjourBrowse('hearth');
      assert.deepEqual(seen.filter((s) => s.name.startsWith('Twin')).map((s) => s.name).sort(), ['Twin', 'Twin (2)']);
      for (const [k, d] of Object.entries({ f, g })) {
        const lines = d.output().split('\n').filter((l) => /discovery: .*(Twin|another device)/.test(l));
        t.diagnostic(`${k}: ${lines.map((l) => l.replace(/^\S+ \S+\s+hearthd\/discovery: /, '')).join(' | ')}`);
      }
    }));

  test('_smb._tcp appears with the first network share, on the SMB port, and goes with the last', () =>
    withLogs(async () => {
      const a = daemons.a!;
      const status = (await controlRequest<{ announcedName: string }>(a.socketPath, 'GET', '/status')).body;
      const made = await controlRequest(a.socketPath, 'POST', '/shares', { name: 'Inbox' });
      assert.equal(made.status, 201, JSON.stringify(made.body));
      const smb = (await controlRequest<{ smb: { port: number; state: string } }>(a.socketPath, 'GET', '/shares')).body.smb;
      assert.equal(smb.state, 'running');
      const { value: entry } = await waitFor(`avahi-browse to list "${status.announcedName}" (_smb._tcp)`, 10_000, async () =>
        resolved(await lab.avahiBrowse('b', '_smb._tcp'), status.announcedName),
      );
      assert.equal(entry.port, smb.port);
      assert.equal(entry.host, factoryHost(a));
      assert.equal(entry.address, A_IP);
      const removed = await controlRequest(a.socketPath, 'POST', '/shares/remove', { name: 'Inbox' });
      assert.equal(removed.status, 200, JSON.stringify(removed.body));
      await waitFor('the _smb._tcp announcement to be withdrawn', 10_000, async () => {
        const list = await lab.avahiBrowse('b', '_smb._tcp');
        if (list.some((e) => e.name === status.announcedName)) throw new Error(`still listed: ${JSON.stringify(list)}`);
        return true;
      });
    }));

  test('a hearthd whose web UI listens on loopback only announces nothing', () =>
    withLogs(async () => {
      const e = daemons.e!;
      const { suffix } = identity(e);
      // It has been up since the suite started, far longer than probing and announcing take.
      assert.match(e.output(), /not announcing it on the network/);
      const listed = await lab.avahiBrowse('b', '_hearth._tcp');
      assert.ok(!listed.some((x) => x.name.includes(suffix) || x.host === `hearth-${suffix}.local`), JSON.stringify(listed));
      assert.ok(!(await bonjourBrowse('hearth', 1_000)).some((x) => x.name.includes(suffix)));
    }));
});

function expectedVersion(): string {
  return (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
}
