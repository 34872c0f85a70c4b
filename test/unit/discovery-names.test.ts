import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { conflictIndex, conflictName, fitLabel, hearthTxt, httpTxt, instanceBaseName, sameName } from '../../appliance/src/discovery/names.js';
import { addressRecords, goodbyes, recordKey, serviceRecords } from '../../appliance/src/discovery/records.js';
import { Discovery, servedInterfaces } from '../../appliance/src/discovery/discovery.js';
import { parseAvahiBrowse, unescapeAvahi } from '../net/lab.js';

const bytes = (s: string) => Buffer.byteLength(s, 'utf8');

test('the factory name is "Hearth (suffix)"; an owner-given name is used as is', () => {
  assert.equal(instanceBaseName('Hearth', 'ab12'), 'Hearth (ab12)');
  assert.equal(instanceBaseName('Kitchen', 'ab12'), 'Kitchen');
  assert.equal(instanceBaseName('Küche 🔥', 'ab12'), 'Küche 🔥');
});

test('dots cannot split the instance label: they become a look-alike', () => {
  assert.equal(instanceBaseName('J.R. Box', 'ab12'), 'J\u2024R\u2024 Box');
});

test('conflict names count up from (2) and always fit one 63-byte label', () => {
  assert.equal(conflictName('Kitchen', 1), 'Kitchen');
  assert.equal(conflictName('Kitchen', 2), 'Kitchen (2)');
  assert.equal(conflictName('Kitchen', 13), 'Kitchen (13)');
  const long = 'x'.repeat(63);
  assert.equal(conflictName(long, 2), `${'x'.repeat(59)} (2)`);
  const wide = 'é'.repeat(31); // 62 bytes
  const named = conflictName(wide, 2);
  assert.ok(bytes(named) <= 63, `${bytes(named)} bytes`);
  assert.ok(named.endsWith(' (2)'));
  assert.ok(bytes(fitLabel('🔥'.repeat(20))) <= 63, 'never cuts inside a character');
});

test('conflictIndex reads back which choice a name is', () => {
  assert.equal(conflictIndex('Kitchen', 'Kitchen'), 1);
  assert.equal(conflictIndex('Kitchen', 'Kitchen (2)'), 2);
  assert.equal(conflictIndex('Kitchen', 'Kitchen (17)'), 17);
  assert.equal(conflictIndex('Kitchen', 'Hall (2)'), 0);
  assert.equal(conflictIndex('Hearth (ab12)', 'Hearth (ab12)'), 1);
  assert.equal(conflictIndex('Hearth (ab12)', 'Hearth (ab12) (3)'), 3);
});

test('TXT records carry what apps need, and nothing private', () => {
  assert.deepEqual(hearthTxt({ id: 'uuid', version: '1.2.3', setup: 'pending' }), ['id=uuid', 'version=1.2.3', 'setup=pending', 'api=/api']);
  assert.deepEqual(httpTxt(), ['path=/']);
});

test('service records: both types, SRV to the factory host, unique records flagged cache-flush', () => {
  const recs = serviceRecords({ instance: 'Kitchen (2)', target: 'hearth-ab12.local', port: 8080, httpTxt: httpTxt(), hearthTxt: ['id=x'] });
  const srv = recs.filter((r) => r.type === 'SRV');
  assert.deepEqual(srv.map((r) => r.name).sort(), ['Kitchen (2)._hearth._tcp.local', 'Kitchen (2)._http._tcp.local']);
  for (const r of srv) assert.deepEqual(r.data, { priority: 0, weight: 0, port: 8080, target: 'hearth-ab12.local' });
  assert.ok(recs.filter((r) => r.type === 'PTR').every((r) => !r.flush), 'shared PTR records never flush');
  assert.ok(recs.filter((r) => r.type !== 'PTR').every((r) => r.flush));
  const addr = addressRecords(['hearth-ab12.local', 'kitchen.local'], ['10.0.0.2'], ['fe80::1']);
  assert.deepEqual(
    addr.map((r) => [r.name, r.type, r.data]),
    [
      ['hearth-ab12.local', 'A', '10.0.0.2'],
      ['hearth-ab12.local', 'AAAA', 'fe80::1'],
      ['kitchen.local', 'A', '10.0.0.2'],
      ['kitchen.local', 'AAAA', 'fe80::1'],
    ],
  );
  assert.ok(goodbyes(addr).every((r) => r.ttl === 0 && !r.flush));
  assert.equal(recordKey(addr[0]!), recordKey({ ...addr[0]!, name: 'HEARTH-AB12.local', ttl: 5 }));
  assert.ok(sameName('Kitchen._http._tcp.local.', 'kitchen._HTTP._tcp.local'));
});

test('announce only where the web UI can be reached', () => {
  const all = new Map([
    ['eth0', { ipv4: ['10.0.0.2'], ipv6: ['fe80::1'] }],
    ['wlan0', { ipv4: ['10.0.1.2'], ipv6: [] }],
  ]);
  assert.equal(servedInterfaces(all, '0.0.0.0'), all);
  assert.equal(servedInterfaces(all, '::'), all);
  assert.equal(servedInterfaces(all, '127.0.0.1').size, 0);
  assert.equal(servedInterfaces(all, '::1').size, 0);
  assert.deepEqual([...servedInterfaces(all, '10.0.1.2')], [['wlan0', { ipv4: ['10.0.1.2'], ipv6: [], socket: '10.0.1.2' }]]);
});

test('avahi-browse -p output is parsed, escapes and all (test helper)', () => {
  assert.equal(unescapeAvahi('Kitchen\\032\\0402\\041'), 'Kitchen (2)');
  assert.equal(unescapeAvahi('K\\195\\188che'), 'Küche');
  const out = [
    '+;eth0;IPv4;Kitchen\\032\\0402\\041;_hearth._tcp;local',
    '=;eth0;IPv4;Kitchen\\032\\0402\\041;_hearth._tcp;local;hearth-ab12.local;10.77.0.3;8080;"api=/api" "setup=complete" "id=x"',
  ].join('\n');
  const [plus, eq] = parseAvahiBrowse(out);
  assert.equal(plus?.name, 'Kitchen (2)');
  assert.deepEqual(eq, {
    event: '=',
    iface: 'eth0',
    name: 'Kitchen (2)',
    type: '_hearth._tcp',
    host: 'hearth-ab12.local',
    address: '10.77.0.3',
    port: 8080,
    txt: { api: '/api', setup: 'complete', id: 'x' },
  });
});

test('a daemon bound to loopback opens no mDNS socket and stops at once', async () => {
  const config = Object.assign(new EventEmitter(), {
    data: { device: { id: 'x', suffix: 'ab12', name: 'Hearth', hostname: '' }, setup: { state: 'pending' } },
  });
  const lines: string[] = [];
  const log = { debug: () => {}, info: (m: string) => lines.push(m), warn: (m: string) => lines.push(m), error: (m: string) => lines.push(m), child: () => log };
  const d = new Discovery({ config: config as never, device: {} as never, port: () => 8080, log, host: '127.0.0.1' });
  await d.start();
  assert.equal(config.listenerCount('change'), 0);
  assert.equal(d.announcedName, null);
  const t0 = Date.now();
  await d.stop();
  assert.ok(Date.now() - t0 < 100);
  assert.match(lines.join('\n'), /not announcing/);
});
