import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { controlRequest, removeDir, startDaemon, tempDataDir } from '../helpers/daemon.js';
import { HttpClient } from '../helpers/http-client.js';
import { configSchema } from '../../appliance/src/config/schema.js';

// kill -9 of the real hearthd in the middle of a burst of config writes, 50 times:
// every restart must load the config it finds (no broken file, no fallback, identity kept).
test('kill -9 during a burst of config writes, 50 times: the config always loads', async (t) => {
  const dir = await tempDataDir();
  t.after(() => removeDir(dir));
  let d = await startDaemon({ dataDir: dir });
  await controlRequest(d.socketPath, 'POST', '/setup', { owner: 'alice', password: 'correct horse battery', name: 'Crashy' });
  const id = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8')).device.id;
  const client = new HttpClient(d.url);
  assert.equal((await client.post('/api/auth/login', { username: 'alice', password: 'correct horse battery' })).status, 200);
  const cookie = [...client.cookies][0]!;

  let lastAcknowledged = '';
  for (let round = 0; round < 50; round++) {
    const c = new HttpClient(d.url);
    c.cookies.set(cookie[0], cookie[1]);
    let stop = false;
    // Four writers renaming the box as fast as they can.
    const writers = Array.from({ length: 4 }, async (_, w) => {
      for (let i = 0; !stop; i++) {
        const name = `Crashy ${round}-${w}-${i}`;
        try {
          const r = await c.put('/api/device', { name });
          if (r.status === 200) lastAcknowledged = name;
        } catch {
          return; // the daemon died under us: that is the point
        }
      }
    });
    await new Promise((r) => setTimeout(r, 20 + Math.random() * 120));
    d.proc.kill('SIGKILL');
    stop = true;
    await Promise.all(writers);
    await d.stop();

    d = await startDaemon({ dataDir: dir });
    assert.doesNotMatch(d.output(), /could not be used|broken/, `round ${round}: config loaded as is`);
    const cfg = configSchema.parse(JSON.parse(await readFile(join(dir, 'config.json'), 'utf8')));
    assert.equal(cfg.device.id, id, `round ${round}: identity kept`);
    assert.equal(cfg.setup.state, 'complete');
    assert.match(cfg.device.name, /^Crashy/);
  }
  assert.ok(lastAcknowledged.startsWith('Crashy '), 'writes were acknowledged during the bursts');
  const leftovers = (await readdir(dir)).filter((f) => f.includes('.tmp-') || f.includes('broken'));
  assert.deepEqual(leftovers, [], 'no temp or broken files remain after restarts');
  const s = await d.stop();
  assert.equal(s.code, 0);
});

test('hearthd with a corrupt config.json: kept aside, the last good copy used, said in the log', async (t) => {
  const { writeFile } = await import('node:fs/promises');
  const dir = await tempDataDir();
  t.after(() => removeDir(dir));
  let d = await startDaemon({ dataDir: dir });
  await controlRequest(d.socketPath, 'POST', '/setup', { owner: 'alice', password: 'correct horse battery', name: 'First' });
  const c = new HttpClient(d.url);
  await c.post('/api/auth/login', { username: 'alice', password: 'correct horse battery' });
  assert.equal((await c.put('/api/device', { name: 'Second' })).status, 200);
  await d.stop();

  await writeFile(join(dir, 'config.json'), '\u0000\u0000garbage');
  d = await startDaemon({ dataDir: dir });
  assert.match(d.output(), /config\.json could not be used \(not valid JSON/);
  assert.match(d.output(), /using the last good copy/);
  assert.equal((await controlRequest<{ setup: string; name: string }>(d.socketPath, 'GET', '/status')).body.name, 'First');
  assert.equal((await readdir(dir)).filter((f) => f.startsWith('config.json.broken-')).length, 1);
  await d.stop();

  // Both copies broken: a fresh unclaimed box, saying why.
  await writeFile(join(dir, 'config.json'), '{}');
  await writeFile(join(dir, 'config.json.bak'), 'nope');
  d = await startDaemon({ dataDir: dir });
  assert.match(d.output(), /no usable backup either: starting unclaimed with a fresh setup code/);
  const code = await controlRequest<{ setupCode: string | null }>(d.socketPath, 'GET', '/setup-code');
  assert.match(code.body.setupCode ?? '', /^[2-9A-Z]{4}-[2-9A-Z]{4}$/);
  assert.ok(d.output().includes(code.body.setupCode!), 'the new code is printed');
  assert.equal((await readdir(dir)).filter((f) => f.startsWith('config.json.broken-')).length, 2);
  await d.stop();
});
