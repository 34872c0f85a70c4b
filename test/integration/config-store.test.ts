import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile, writeFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigStore } from '../../appliance/src/config/config-store.js';
import { createLogger } from '../../appliance/src/log.js';
import { removeDir, tempDataDir } from '../helpers/daemon.js';

const quiet = createLogger('test', 'error');

async function withStore<T>(dir: string, fn: (s: ConfigStore) => Promise<T>): Promise<T> {
  const s = new ConfigStore(dir, quiet);
  await s.start();
  try {
    return await fn(s);
  } finally {
    await s.stop();
  }
}

test('a new data dir gets a config with a device identity, written atomically with mode 0600', async (t) => {
  const dir = await tempDataDir();
  t.after(() => removeDir(dir));
  const id = await withStore(dir, async (s) => {
    assert.equal(s.lastLoad.kind, 'fresh');
    assert.match(s.data.device.suffix, /^[0-9a-f]{4}$/);
    assert.equal(s.data.device.name, 'Hearth');
    return s.data.device.id;
  });
  assert.equal((await stat(join(dir, 'config.json'))).mode & 0o777, 0o600);
  // identity is made once: a restart keeps it
  await withStore(dir, async (s) => {
    assert.equal(s.lastLoad.kind, 'loaded');
    assert.equal(s.data.device.id, id);
  });
});

test('every write keeps the previous good file as config.json.bak', async (t) => {
  const dir = await tempDataDir();
  t.after(() => removeDir(dir));
  await withStore(dir, async (s) => {
    await s.update((c) => void (c.device.name = 'One'));
    await s.update((c) => void (c.device.name = 'Two'));
  });
  const main = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8'));
  const bak = JSON.parse(await readFile(join(dir, 'config.json.bak'), 'utf8'));
  assert.equal(main.device.name, 'Two');
  assert.equal(bak.device.name, 'One');
});

test('an invalid change throws and changes nothing, in memory or on disk', async (t) => {
  const dir = await tempDataDir();
  t.after(() => removeDir(dir));
  await withStore(dir, async (s) => {
    const before = await readFile(join(dir, 'config.json'), 'utf8');
    await assert.rejects(s.update((c) => void ((c.device as { suffix: string }).suffix = 'nothex')));
    assert.notEqual(s.data.device.suffix, 'nothex');
    assert.equal(await readFile(join(dir, 'config.json'), 'utf8'), before);
  });
});

test('a corrupt config.json is kept aside and the last good copy is used', async (t) => {
  const dir = await tempDataDir();
  t.after(() => removeDir(dir));
  const id = await withStore(dir, async (s) => {
    await s.update((c) => void (c.device.name = 'Kitchen'));
    await s.update((c) => void (c.device.name = 'Kitchen 2'));
    return s.data.device.id;
  });
  await writeFile(join(dir, 'config.json'), '{"version": 1, "device": tru');
  await withStore(dir, async (s) => {
    assert.equal(s.lastLoad.kind, 'recovered-from-backup');
    assert.equal(s.data.device.id, id);
    assert.equal(s.data.device.name, 'Kitchen');
  });
  const files = await readdir(dir);
  const broken = files.filter((f) => f.startsWith('config.json.broken-'));
  assert.equal(broken.length, 1);
  assert.equal(await readFile(join(dir, broken[0]!), 'utf8'), '{"version": 1, "device": tru', 'the broken file is kept as it was');
});

test('a config that fails the schema is kept aside too; with no backup the box starts unclaimed', async (t) => {
  const dir = await tempDataDir();
  t.after(() => removeDir(dir));
  await writeFile(join(dir, 'config.json'), JSON.stringify({ version: 1, device: { id: 'nope' } }));
  await withStore(dir, async (s) => {
    assert.equal(s.lastLoad.kind, 'fresh-after-broken');
    assert.match((s.lastLoad as { reason: string }).reason, /schema/);
    assert.equal(s.data.setup.state, 'pending');
    assert.equal(s.data.auth.owner, null);
  });
  assert.equal((await readdir(dir)).filter((f) => f.startsWith('config.json.broken-')).length, 1);
});

test('a config from a newer Hearth is refused and left untouched', async (t) => {
  const dir = await tempDataDir();
  t.after(() => removeDir(dir));
  const text = JSON.stringify({ version: 99 });
  await writeFile(join(dir, 'config.json'), text);
  const s = new ConfigStore(dir, quiet);
  await assert.rejects(s.start(), /newer Hearth/);
  assert.equal(await readFile(join(dir, 'config.json'), 'utf8'), text);
});

test('concurrent updates are serialized, none lost', async (t) => {
  const dir = await tempDataDir();
  t.after(() => removeDir(dir));
  await withStore(dir, async (s) => {
    const token = (i: number) => ({ name: `t${i}`, hash: '0'.repeat(64), hint: 'x', createdAt: new Date().toISOString() });
    await Promise.all(Array.from({ length: 30 }, (_, i) => s.update((c) => void c.apiTokens.push(token(i)))));
    assert.equal(s.data.apiTokens.length, 30);
  });
  const main = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8'));
  assert.equal(main.apiTokens.length, 30);
});
