// Real Samba: hearthd starts its own smbd on a free loopback port; smbclient uploads into a
// share made over the API, the file lands on disk and hearthd reports it; wrong passwords and
// writes to a read-only share are refused; a share removed over the API disappears from the
// share list without smbd restarting, and its files stay. Fails (never skips) without Samba.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { controlRequest, freePort, removeDir, startDaemon, tempDataDir, type RunningDaemon } from '../helpers/daemon.js';
import { HttpClient } from '../helpers/http-client.js';

const SMB_PASSWORD = 'smb pass 4 tests';
let d: RunningDaemon;
let owner: HttpClient;
let smbPort: number;
let work: string;

function smbclient(args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile('smbclient', [...args, '-p', String(smbPort)], { timeout: 20_000 }, (err, stdout, stderr) => {
      const code = err ? ((err as { code?: number }).code ?? 1) : 0;
      resolve({ code: typeof code === 'number' ? code : 1, out: `${stdout}${stderr}` });
    });
  });
}

const smbdPid = async (): Promise<number> => Number((await readFile(join(d.dataDir, 'samba', 'pid', 'smbd.pid'), 'utf8')).trim());

/** Collect the `file` events of /api/shares/events from the moment it is opened. */
async function openEvents(): Promise<{ events: Array<{ share: string; path: string; kind: string; size: number | null; at: string }>; close: () => void }> {
  const controller = new AbortController();
  const headers: Record<string, string> = { cookie: [...owner.cookies].map(([k, v]) => `${k}=${v}`).join('; ') };
  const res = await fetch(`${d.url}/api/shares/events`, { headers, signal: controller.signal });
  assert.equal(res.status, 200);
  const events: Array<{ share: string; path: string; kind: string; size: number | null; at: string }> = [];
  const reader = res.body!.getReader();
  void (async () => {
    let buffer = '';
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        buffer += Buffer.from(value).toString('utf8');
        let i: number;
        while ((i = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, i);
          buffer = buffer.slice(i + 2);
          const event = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (event === 'file' && data) events.push(JSON.parse(data));
        }
      }
    } catch {
      /* aborted */
    }
  })();
  return { events, close: () => controller.abort() };
}

before(async () => {
  for (const program of ['/usr/sbin/smbd', '/usr/bin/smbclient']) {
    if (!existsSync(program)) throw new Error(`${program} is missing: install samba and smbclient (make test-deps does it)`);
  }
  work = await tempDataDir('hearth-smb-files-');
  smbPort = await freePort();
  d = await startDaemon({ smbPort, host: '127.0.0.1' });
  await controlRequest(d.socketPath, 'POST', '/setup', { owner: 'owner', password: 'correct horse battery', name: 'Lab' });
  owner = new HttpClient(d.url);
  assert.equal((await owner.post('/api/auth/login', { username: 'owner', password: 'correct horse battery' })).status, 200);
  assert.equal((await owner.post('/api/shares/smb-password', { password: SMB_PASSWORD })).status, 204);
  assert.equal((await owner.post('/api/shares', { name: 'Inbox', agents: 'read' })).status, 201);
  assert.equal((await owner.post('/api/shares', { name: 'Archive', readOnly: true })).status, 201);
  await writeFile(join(work, 'report.txt'), 'quarterly numbers\n'.repeat(1000));
});

after(async () => {
  const stopped = await d?.stop();
  const left = d ? await readFile(join(d.dataDir, 'samba', 'pid', 'samba-dcerpcd.pid'), 'utf8').catch(() => '') : '';
  if (d) await removeDir(d.dataDir);
  await removeDir(work);
  assert.equal(stopped?.code, 0);
  if (left.trim()) assert.equal(existsSync(`/proc/${left.trim()}/cmdline`) && (await readFile(`/proc/${left.trim()}/cmdline`, 'utf8')).length > 0, false, 'samba-dcerpcd is stopped with hearthd');
});

test('smbd runs on the configured port, bound to loopback, SMB2 or later only', async () => {
  const smb = (await owner.get('/api/shares')).body.smb;
  assert.equal(smb.state, 'running', JSON.stringify(smb));
  assert.equal(smb.port, smbPort);
  const list = await smbclient(['-L', '//127.0.0.1', '-U', `owner%${SMB_PASSWORD}`]);
  assert.equal(list.code, 0, list.out);
  assert.match(list.out, /Inbox\s+Disk/);
  assert.match(list.out, /Archive\s+Disk/);
  const smb1 = await smbclient(['-L', '//127.0.0.1', '-U', `owner%${SMB_PASSWORD}`, '-m', 'NT1']);
  assert.notEqual(smb1.code, 0, 'SMB1 is refused');
});

test('an upload over SMB lands on disk, in the listing, and as a file event', async () => {
  const events = await openEvents();
  try {
    const put = await smbclient(['//127.0.0.1/Inbox', '-U', `owner%${SMB_PASSWORD}`, '-c', `put ${join(work, 'report.txt')} report.txt`]);
    assert.equal(put.code, 0, put.out);
    const doneAt = Date.now();
    const onDisk = await readFile(join(d.dataDir, 'shares', 'Inbox', 'report.txt'), 'utf8');
    assert.equal(onDisk, 'quarterly numbers\n'.repeat(1000));
    const deadline = Date.now() + 5_000;
    while (!events.events.some((e) => e.share === 'Inbox' && e.path === 'report.txt')) {
      if (Date.now() > deadline) assert.fail(`no file event within 5 s: ${JSON.stringify(events.events)}\n${d.output().slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    const e = events.events.find((x) => x.path === 'report.txt')!;
    assert.equal(e.kind, 'added');
    assert.equal(e.size, 18_000);
    assert.ok(Date.parse(e.at) - doneAt < 2_000, 'known shortly after the upload finished');
    const browse = await owner.get('/api/shares/Inbox/files?path=');
    assert.equal(browse.status, 200, browse.text);
    assert.ok(browse.body.entries.some((x: { name: string }) => x.name === 'report.txt'));
    const recent = await owner.get('/api/shares/recent-files');
    assert.ok(recent.body.events.some((x: { path: string }) => x.path === 'report.txt'));
  } finally {
    events.close();
  }
});

test('Hearth internals (.hearth) are invisible over SMB', async () => {
  const ls = await smbclient(['//127.0.0.1/Inbox', '-U', `owner%${SMB_PASSWORD}`, '-c', 'ls']);
  assert.equal(ls.code, 0, ls.out);
  assert.doesNotMatch(ls.out, /\.hearth/);
  const mk = await smbclient(['//127.0.0.1/Inbox', '-U', `owner%${SMB_PASSWORD}`, '-c', 'mkdir .hearth']);
  assert.match(mk.out, /NT_STATUS_(OBJECT_NAME_NOT_FOUND|ACCESS_DENIED|OBJECT_PATH_NOT_FOUND|OBJECT_NAME_COLLISION)/, mk.out);
});

test('a wrong password and an unknown user are refused', async () => {
  const wrong = await smbclient(['//127.0.0.1/Inbox', '-U', 'owner%not the password', '-c', 'ls']);
  assert.notEqual(wrong.code, 0);
  assert.match(wrong.out, /NT_STATUS_LOGON_FAILURE/);
  const guest = await smbclient(['//127.0.0.1/Inbox', '-N', '-c', 'ls']);
  assert.notEqual(guest.code, 0, 'no guest access');
  const stranger = await smbclient(['//127.0.0.1/Inbox', '-U', `mallory%${SMB_PASSWORD}`, '-c', 'ls']);
  assert.notEqual(stranger.code, 0);
});

test('a read-only share refuses the upload', async () => {
  const put = await smbclient(['//127.0.0.1/Archive', '-U', `owner%${SMB_PASSWORD}`, '-c', `put ${join(work, 'report.txt')} report.txt`]);
  assert.match(put.out, /NT_STATUS_(ACCESS_DENIED|MEDIA_WRITE_PROTECTED)/, put.out);
  assert.equal(existsSync(join(d.dataDir, 'shares', 'Archive', 'report.txt')), false);
  // Made read-write over the API, the same upload goes through, without an smbd restart.
  const pid = await smbdPid();
  assert.equal((await owner.request('PATCH', '/api/shares/Archive', { readOnly: false })).status, 200);
  const again = await smbclient(['//127.0.0.1/Archive', '-U', `owner%${SMB_PASSWORD}`, '-c', `put ${join(work, 'report.txt')} report.txt`]);
  assert.equal(again.code, 0, again.out);
  assert.ok(existsSync(join(d.dataDir, 'shares', 'Archive', 'report.txt')));
  assert.equal(await smbdPid(), pid);
});

test('a share removed over the API leaves the share list without restarting smbd; its files stay', async () => {
  const pid = await smbdPid();
  assert.equal((await owner.request('DELETE', '/api/shares/Archive', {})).status, 204);
  const list = await smbclient(['-L', '//127.0.0.1', '-U', `owner%${SMB_PASSWORD}`]);
  assert.equal(list.code, 0, list.out);
  assert.match(list.out, /Inbox\s+Disk/);
  assert.doesNotMatch(list.out, /Archive/);
  assert.equal(await smbdPid(), pid, 'the same smbd');
  assert.ok(existsSync(`/proc/${pid}`), 'smbd still running');
  assert.ok(existsSync(join(d.dataDir, 'shares', 'Archive', 'report.txt')), 'files of the removed share are still on disk');
  const gone = await smbclient(['//127.0.0.1/Archive', '-U', `owner%${SMB_PASSWORD}`, '-c', 'ls']);
  assert.match(gone.out, /NT_STATUS_BAD_NETWORK_NAME/);
});

test('a new SMB password takes effect at once; the old one stops working', async () => {
  assert.equal((await owner.post('/api/shares/smb-password', { password: 'another pass 99' })).status, 204);
  const old = await smbclient(['//127.0.0.1/Inbox', '-U', `owner%${SMB_PASSWORD}`, '-c', 'ls']);
  assert.match(old.out, /NT_STATUS_LOGON_FAILURE/);
  const fresh = await smbclient(['//127.0.0.1/Inbox', '-U', 'owner%another pass 99', '-c', 'ls']);
  assert.equal(fresh.code, 0, fresh.out);
});

test('smbd killed behind hearthd’s back is restarted, and shares answer again', async () => {
  const pid = await smbdPid();
  process.kill(pid, 'SIGKILL');
  const deadline = Date.now() + 15_000;
  for (;;) {
    const smb = (await owner.get('/api/shares')).body.smb;
    const now = await smbdPid().catch(() => pid);
    if (smb.state === 'running' && now !== pid) break;
    if (Date.now() > deadline) assert.fail(`smbd did not come back: ${JSON.stringify(smb)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.match(d.output(), /smbd stopped \(SIGKILL\); restarting in 1 s/);
  const ls = await smbclient(['//127.0.0.1/Inbox', '-U', 'owner%another pass 99', '-c', 'ls']);
  assert.equal(ls.code, 0, ls.out);
  assert.match(ls.out, /report\.txt/);
});
