import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FactoryReset, factoryResetRequested, requestFactoryReset, wipeDirectory } from '../../appliance/src/device/factory-reset.js';
import { createLogger } from '../../appliance/src/log.js';

const log = createLogger('test', 'error');

async function dirs(t: { after: (fn: () => Promise<void>) => void }) {
  const root = await mkdtemp(join(tmpdir(), 'hearth-wipe-'));
  t.after(() => rm(root, { recursive: true, force: true }));
  const data = join(root, 'data');
  const outside = join(root, 'outside');
  await mkdir(join(data, 'shares', 'Docs', 'deep'), { recursive: true });
  await mkdir(outside);
  await writeFile(join(data, 'config.json'), '{}');
  await writeFile(join(data, 'shares', 'Docs', 'deep', 'a.txt'), 'a');
  await writeFile(join(outside, 'keep.txt'), 'keep');
  // Links inside the data dir that point out of it: removed, never followed.
  await symlink(outside, join(data, 'shares', 'Elsewhere'));
  await symlink(join(outside, 'keep.txt'), join(data, 'keep-link.txt'));
  await symlink(join(root, 'missing'), join(data, 'dangling'));
  return { root, data, outside };
}

test('wipeDirectory empties the folder, keeps the folder itself and the named entry, follows no link', async (t) => {
  const { data, outside } = await dirs(t);
  await writeFile(join(data, 'marker'), '');
  const { removed, skipped } = await wipeDirectory(data, log, 'marker');
  assert.deepEqual(await readdir(data), ['marker']);
  assert.deepEqual(skipped, []);
  assert.equal(removed, 8);
  assert.deepEqual(await readdir(outside), ['keep.txt']);
  assert.equal(await readFile(join(outside, 'keep.txt'), 'utf8'), 'keep');
});

test('FactoryReset does nothing without a request, and a full wipe with one; the request goes last', async (t) => {
  const { data, outside } = await dirs(t);
  const quiet = new FactoryReset(data, log);
  await quiet.start();
  assert.equal(quiet.performed, false);
  assert.ok((await readdir(data)).includes('config.json'));

  const request = await requestFactoryReset(data, 'cli', new Date('2026-01-02T03:04:05Z'));
  assert.deepEqual(request, { requestedAt: '2026-01-02T03:04:05.000Z', by: 'cli' });
  assert.equal(await factoryResetRequested(data), true);
  assert.deepEqual(JSON.parse(await readFile(join(data, 'factory-reset-request'), 'utf8')), request);
  const reset = new FactoryReset(data, log);
  await reset.start();
  assert.equal(reset.performed, true);
  assert.deepEqual(await readdir(data), []);
  assert.equal(await factoryResetRequested(data), false);
  assert.deepEqual(await readdir(outside), ['keep.txt']);
});

test('a request that is not JSON still counts', async (t) => {
  const { data } = await dirs(t);
  await writeFile(join(data, 'factory-reset-request'), 'yes please');
  const reset = new FactoryReset(data, log);
  await reset.start();
  assert.equal(reset.performed, true);
  assert.deepEqual(await readdir(data), []);
});
