import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { mkdir, mkdtemp, readFile, realpath, rename, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { HearthDatabase } from '../../appliance/src/store/store.js';
import { createLogger, type Logger } from '../../appliance/src/log.js';
import { ShareWatcher, type ShareFileEvent } from '../../appliance/src/shares/share-watcher.js';
import { FolderTrigger, type SettledFile } from '../../appliance/src/agents/triggers/folder-trigger.js';
import { openForWrite, openForWriteAny } from '../../appliance/src/agents/triggers/open-files.js';

const quiet = createLogger('test', 'error');
/** Warnings the trigger logged: a test that expects none says so. */
const warnings: string[] = [];
const log: Logger = {
  ...quiet,
  warn: (m) => warnings.push(m),
  error: (m) => warnings.push(m),
  child: () => log,
};
const SETTLE_MS = 300;
const sha = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');

interface Seen extends SettledFile {
  at: number;
}

async function setup(t: { after: (fn: () => Promise<void>) => void }, options: { watcher?: boolean; settleMs?: number; maxWaitMs?: number } = {}) {
  const base = await realpath(await mkdtemp(join(tmpdir(), 'hearth-folder-trigger-')));
  const root = join(base, 'Inbox');
  await mkdir(root);
  const store = new HearthDatabase(join(base, 'data'), log);
  store.open();
  const events: Seen[] = [];
  const removed: { share: string; path: string }[] = [];
  const children: ChildProcess[] = [];
  const watched = new Set<string>();
  let watcher: ShareWatcher | null = null;
  let trigger: FolderTrigger | null = null;
  // A trigger as hearthd makes one: watching the share, fed by a real ShareWatcher.
  const start = async (withWatcher = options.watcher ?? true): Promise<FolderTrigger> => {
    trigger = new FolderTrigger({ store, log, settleMs: options.settleMs ?? SETTLE_MS, maxWaitMs: options.maxWaitMs });
    trigger.watch('Inbox', root);
    trigger.on('file', (f: SettledFile) => events.push({ ...f, at: Date.now() }));
    trigger.on('removed', (r: { share: string; path: string }) => removed.push(r));
    if (withWatcher) {
      watcher = new ShareWatcher(log);
      await watcher.add('Inbox', root);
      const feed = trigger;
      watcher.on('file', (e: ShareFileEvent) => {
        watched.add(e.path);
        feed.noteEvent(e);
      });
    }
    return trigger;
  };
  // "Downtime": hearthd stopped, nothing watches.
  const stop = async (): Promise<void> => {
    await watcher?.close();
    await trigger?.close();
    watcher = null;
    trigger = null;
  };
  const seenRows = () =>
    (store.db.prepare("SELECT path, size, mtime_ms, sha256 FROM files_seen WHERE share = 'Inbox' ORDER BY path").all() as {
      path: string;
      size: number;
      mtime_ms: number;
      sha256: string;
    }[]);
  t.after(async () => {
    for (const c of children) c.kill('SIGKILL');
    await stop();
    store.close();
    await rm(base, { recursive: true, force: true });
  });
  return { base, root, store, events, removed, children, watched, start, stop, seenRows };
}

async function waitFor(what: string, cond: () => boolean, timeoutMs = 15_000, state?: () => string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${state ? ` (${state()})` : ''}`);
    await sleep(20);
  }
}

/** A node process running `code` with the file path as argv[1]; resolves once it says "ready". */
async function child(children: ChildProcess[], code: string, path: string): Promise<ChildProcess> {
  const c = spawn(process.execPath, ['-e', code, path], { stdio: ['pipe', 'pipe', 'inherit'] });
  children.push(c);
  let out = '';
  c.stdout!.setEncoding('utf8');
  await new Promise<void>((resolve, reject) => {
    c.stdout!.on('data', (d: string) => {
      out += d;
      if (out.includes('ready')) resolve();
    });
    c.once('exit', (code) => reject(new Error(`child exited (${code}) before it was ready`)));
  });
  return c;
}

const HOLD_OPEN = (flags: string) =>
  `const fs = require('fs'); fs.openSync(process.argv[1], '${flags}'); console.log('ready'); process.stdin.resume(); process.stdin.on('end', () => process.exit(0));`;

async function exited(c: ChildProcess): Promise<void> {
  if (c.exitCode !== null || c.signalCode !== null) return;
  await once(c, 'exit');
}

test('openForWrite sees a real process holding a file open for appending, and not one reading it', async (t) => {
  const { root, children } = await setup(t, { watcher: false });
  const appended = join(root, 'log.txt');
  const readOnly = join(root, 'read.txt');
  await writeFile(appended, 'x');
  await writeFile(readOnly, 'y');
  assert.equal(await openForWrite(appended), false);
  const writer = await child(children, HOLD_OPEN('a'), appended);
  const reader = await child(children, HOLD_OPEN('r'), readOnly);
  assert.equal(await openForWrite(appended), true);
  assert.equal(await openForWrite(readOnly), false, 'open read-only is not open for writing');
  assert.deepEqual([...(await openForWriteAny([appended, readOnly, join(root, 'none.txt')]))], [appended]);
  writer.stdin!.end();
  reader.stdin!.end();
  await Promise.all([exited(writer), exited(reader)]);
  assert.equal(await openForWrite(appended), false, 'closed when the process is gone');
  assert.equal(await openForWrite(appended, join(root, 'no-proc')), false, 'no /proc: nobody is known to write');
});

test('a new file gives exactly one event with its sha256', async (t) => {
  const { root, events, start, seenRows } = await setup(t);
  await start();
  await writeFile(join(root, 'letter.txt'), 'Dear owner');
  await waitFor('the event', () => events.length > 0);
  await sleep(SETTLE_MS * 3);
  assert.equal(events.length, 1);
  const e = events[0]!;
  assert.deepEqual(
    { share: e.share, path: e.path, size: e.size, sha256: e.sha256, renamedFrom: e.renamedFrom },
    { share: 'Inbox', path: 'letter.txt', size: 10, sha256: sha('Dear owner'), renamedFrom: null },
  );
  assert.deepEqual(seenRows().map((r) => [r.path, r.sha256]), [['letter.txt', sha('Dear owner')]]);
});

test('a file appended every 200 ms for 3 s by a process holding it open: one event after the last write, final sha256', async (t) => {
  const { root, events, children, start } = await setup(t);
  const trigger = await start();
  const path = join(root, 'growing.log');
  const writer = await child(
    children,
    `const fs = require('fs'); const fd = fs.openSync(process.argv[1], 'a'); console.log('ready'); let i = 0;
     const t = setInterval(() => { fs.writeSync(fd, 'line ' + i + '\\n'); if (++i === 15) { clearInterval(t); setTimeout(() => { fs.closeSync(fd); process.exit(0); }, 100); } }, 200);`,
    path,
  );
  await exited(writer);
  const lastWrite = Date.now();
  await waitFor('the event', () => events.length > 0);
  await sleep(SETTLE_MS * 3);
  await trigger.idle();
  assert.equal(events.length, 1, 'one event for the whole write');
  assert.ok(events[0]!.at >= lastWrite, 'not before the writer was done');
  assert.equal(events[0]!.sha256, sha(await readFile(path)));
  assert.equal(events[0]!.size, Array.from({ length: 15 }, (_, i) => `line ${i}\n`).join('').length);
});

test('a file reopened for each append every 200 ms for 3 s: one event after the last write, final sha256', async (t) => {
  const { root, events, children, start } = await setup(t);
  const trigger = await start();
  const path = join(root, 'notes.md');
  const writer = await child(
    children,
    `const fs = require('fs'); console.log('ready'); let i = 0;
     const t = setInterval(() => { fs.appendFileSync(process.argv[1], 'line ' + i + '\\n'); if (++i === 15) { clearInterval(t); process.exit(0); } }, 200);`,
    path,
  );
  await exited(writer);
  const lastWrite = Date.now();
  await waitFor('the event', () => events.length > 0);
  await sleep(SETTLE_MS * 3);
  await trigger.idle();
  assert.equal(events.length, 1, 'one event for the whole write');
  assert.ok(events[0]!.at >= lastWrite, 'not before the writer was done');
  assert.equal(events[0]!.sha256, sha(await readFile(path)));
});

test('a file held open for writing past maxWaitMs is acted on anyway, with a warning', async (t) => {
  const { root, events, children, start } = await setup(t, { maxWaitMs: 1500 });
  await start();
  const path = join(root, 'held.log');
  await writeFile(path, 'first lines');
  const holder = await child(children, HOLD_OPEN('a'), path);
  const since = Date.now();
  const before = warnings.length;
  await waitFor('the event', () => events.length > 0, 10_000);
  assert.ok(Date.now() - since >= 1000, 'it waited while the file was open');
  assert.equal(await openForWrite(path), true, 'still open when it was acted on');
  assert.equal(events[0]!.sha256, sha('first lines'));
  assert.match(warnings.slice(before).join('\n'), /held\.log.*kept changing or stayed open/);
  holder.stdin!.end();
  await exited(holder);
});

test('lock files, partial downloads, desktop metadata, hidden files and symlinks give no event', async (t) => {
  const { base, root, events, start, seenRows } = await setup(t);
  const trigger = await start();
  await writeFile(join(base, 'outside.txt'), 'secret');
  for (const name of ['~$x.docx', '.~lock.x#', '.DS_Store', 'Thumbs.db', 'a.part', 'b.tmp', '.hidden', 'c.crdownload', 'd.swp']) {
    await writeFile(join(root, name), `junk ${name}`);
  }
  await mkdir(join(root, '.hearth', 'tmp'), { recursive: true });
  await writeFile(join(root, '.hearth', 'tmp', 'upload'), 'staging');
  await symlink(join(base, 'outside.txt'), join(root, 'link.txt'));
  await sleep(200);
  // A real document written after them: once it is through, the junk had every chance to show.
  await writeFile(join(root, 'real.pdf'), '%PDF-1.4');
  await waitFor('the real file', () => events.some((e) => e.path === 'real.pdf'));
  await sleep(SETTLE_MS * 2);
  await trigger.idle();
  assert.deepEqual(events.map((e) => e.path), ['real.pdf']);
  assert.deepEqual(seenRows().map((r) => r.path), ['real.pdf']);
  assert.equal(trigger.pendingCount(), 0);
});

test('a rename or move gives an event with renamedFrom and the same sha256', async (t) => {
  const { root, events, start, seenRows } = await setup(t);
  const trigger = await start();
  await writeFile(join(root, 'scan 001.pdf'), 'the bytes of a scan');
  await waitFor('the first event', () => events.length === 1);
  await trigger.idle();
  await mkdir(join(root, 'Taxes'));
  await rename(join(root, 'scan 001.pdf'), join(root, 'Taxes', 'tax return.pdf'));
  await waitFor('the rename', () => events.length === 2);
  await sleep(SETTLE_MS * 2);
  await trigger.idle();
  assert.equal(events.length, 2);
  assert.equal(events[1]!.path, 'Taxes/tax return.pdf');
  assert.equal(events[1]!.renamedFrom, 'scan 001.pdf');
  assert.equal(events[1]!.sha256, events[0]!.sha256);
  assert.deepEqual(seenRows().map((r) => r.path), ['Taxes/tax return.pdf']);
});

test('a rename is recognised whichever of its two events comes first', async (t) => {
  const { root, events, removed, start, seenRows } = await setup(t, { watcher: false });
  const trigger = await start();
  const at = () => new Date().toISOString();
  const feed = (path: string, kind: ShareFileEvent['kind'], size: number | null) => trigger.noteEvent({ share: 'Inbox', path, kind, size, at: at() });
  await writeFile(join(root, 'a.txt'), 'alpha');
  await writeFile(join(root, 'b.txt'), 'bravo');
  feed('a.txt', 'added', 5);
  feed('b.txt', 'added', 5);
  await trigger.idle();
  assert.equal(events.length, 2);

  // The new name's 'added' first: files_seen still has the old row, and the old file is gone.
  await rename(join(root, 'a.txt'), join(root, 'a2.txt'));
  feed('a2.txt', 'added', 5);
  await trigger.idle();
  feed('a.txt', 'removed', null);
  await trigger.idle();
  assert.deepEqual(events.slice(2).map((e) => [e.path, e.renamedFrom]), [['a2.txt', 'a.txt']]);
  assert.deepEqual(removed, [], 'the old place was already accounted for by the rename');

  // The old name's 'removed' first: it is reported, and the content is remembered for the new name.
  await rename(join(root, 'b.txt'), join(root, 'b2.txt'));
  feed('b.txt', 'removed', null);
  feed('b2.txt', 'added', 5);
  await trigger.idle();
  assert.deepEqual(removed, [{ share: 'Inbox', path: 'b.txt' }]);
  assert.deepEqual(events.slice(3).map((e) => [e.path, e.renamedFrom, e.sha256]), [['b2.txt', 'b.txt', sha('bravo')]]);

  // A copy is not a rename: the original is still there.
  await writeFile(join(root, 'copy.txt'), 'alpha');
  feed('copy.txt', 'added', 5);
  await trigger.idle();
  assert.equal(events.at(-1)!.renamedFrom, null);
  assert.deepEqual(seenRows().map((r) => r.path), ['a2.txt', 'b2.txt', 'copy.txt']);
});

test('the same content written again gives no event; a removal does', async (t) => {
  const { root, events, removed, start, seenRows } = await setup(t);
  const trigger = await start();
  await writeFile(join(root, 'same.txt'), 'unchanged text');
  await waitFor('the first event', () => events.length === 1);
  await trigger.idle();
  const before = seenRows()[0]!;
  await sleep(20); // a different mtime
  await writeFile(join(root, 'same.txt'), 'unchanged text');
  await writeFile(join(root, 'marker.txt'), 'after the rewrite');
  await waitFor('the marker', () => events.some((e) => e.path === 'marker.txt'));
  await sleep(SETTLE_MS * 2);
  await trigger.idle();
  assert.deepEqual(events.map((e) => e.path), ['same.txt', 'marker.txt']);
  const after = seenRows().find((r) => r.path === 'same.txt')!;
  assert.equal(after.sha256, before.sha256);
  assert.ok(after.mtime_ms > before.mtime_ms, 'the new mtime is remembered, so a rescan does not hash it again');
  await unlink(join(root, 'same.txt'));
  await waitFor('the removal', () => removed.length === 1);
  assert.deepEqual(removed, [{ share: 'Inbox', path: 'same.txt' }]);
  assert.deepEqual(seenRows().map((r) => r.path), ['marker.txt']);
});

test('rescan after downtime finds added, changed, renamed and removed files and hashes only those', async (t) => {
  const { root, events, removed, children, start, stop, seenRows } = await setup(t);
  let trigger = await start();
  await mkdir(join(root, 'Old'));
  const files: Record<string, string> = { 'a.txt': 'kept as is', 'b.txt': 'to be changed', 'c.txt': 'to be removed', 'Old/d.txt': 'to be moved' };
  for (const [p, text] of Object.entries(files)) await writeFile(join(root, p), text);
  await waitFor('four events', () => events.length === 4);
  await trigger.idle();
  await stop();
  events.length = 0;

  // While hearthd is off.
  await writeFile(join(root, 'e.txt'), 'new while off');
  await writeFile(join(root, 'b.txt'), 'changed while off, longer');
  await unlink(join(root, 'c.txt'));
  await mkdir(join(root, 'New'));
  await rename(join(root, 'Old', 'd.txt'), join(root, 'New', 'd.txt'));
  await writeFile(join(root, '.DS_Store'), 'junk');
  await writeFile(join(root, 'f.txt'), 'being written');
  const writer = await child(children, HOLD_OPEN('a'), join(root, 'f.txt'));

  trigger = await start(false);
  const result = await trigger.rescan('Inbox');
  assert.deepEqual(result, { scanned: 5, changed: 4 }); // a b e New/d f; changed: b e New/d f
  assert.equal(trigger.hashCount, 3, 'a.txt was not hashed again; f.txt waits for its writer');
  assert.deepEqual(
    events.map((e) => [e.path, e.renamedFrom, e.sha256]).sort(),
    [
      ['New/d.txt', 'Old/d.txt', sha('to be moved')],
      ['b.txt', null, sha('changed while off, longer')],
      ['e.txt', null, sha('new while off')],
    ],
  );
  assert.deepEqual(removed, [{ share: 'Inbox', path: 'c.txt' }]);
  assert.equal(trigger.pendingCount(), 1, 'f.txt is still open for writing');
  writer.stdin!.end();
  await exited(writer);
  await trigger.idle();
  assert.deepEqual(events.at(-1)!.path, 'f.txt');
  assert.deepEqual(seenRows().map((r) => r.path), ['New/d.txt', 'a.txt', 'b.txt', 'e.txt', 'f.txt']);

  // Nothing changed since: a second rescan hashes nothing and says nothing.
  const hashed = trigger.hashCount;
  const count = events.length;
  assert.deepEqual(await trigger.rescan('Inbox'), { scanned: 5, changed: 0 });
  assert.equal(trigger.hashCount, hashed);
  assert.equal(events.length, count);
});

test('rescan of a share whose folder is missing refuses instead of reporting everything removed', async (t) => {
  const { base, root, events, removed, start, seenRows } = await setup(t, { watcher: false });
  const trigger = await start();
  await writeFile(join(root, 'a.txt'), 'a');
  await trigger.rescan('Inbox');
  await trigger.idle();
  assert.equal(events.length, 1);
  await rename(root, join(base, 'unplugged'));
  await assert.rejects(trigger.rescan('Inbox'), /is not there/);
  assert.deepEqual(removed, []);
  assert.equal(seenRows().length, 1);
});

test('2,000 small files dropped at once come out once each, and nothing stays pending', async (t) => {
  const { root, events, watched, start, seenRows } = await setup(t);
  const trigger = await start();
  const N = 2000;
  let peak = 0;
  const sampler = setInterval(() => (peak = Math.max(peak, trigger.pendingCount())), 10);
  const heapBefore = process.memoryUsage().heapUsed;
  await mkdir(join(root, 'batch'));
  await sleep(300); // the watcher reads a new folder before it watches it (chokidar #1112); the rescan below covers that gap
  for (let i = 0; i < N; i += 100) {
    await Promise.all(Array.from({ length: 100 }, (_, j) => writeFile(join(root, 'batch', `f${i + j}.txt`), `file number ${i + j}`)));
  }
  // Quiet: everything the watcher reported has come out, and it reported nothing new for a second.
  let lastSize = -1;
  let quietSince = Date.now();
  await waitFor('the watcher\'s files to come out', () => {
    if (watched.size !== lastSize) [lastSize, quietSince] = [watched.size, Date.now()];
    return watched.size > 0 && events.length >= watched.size && trigger.pendingCount() === 0 && Date.now() - quietSince > 1000;
  }, 45_000, () => `${events.length} events, ${watched.size} paths from the watcher, ${trigger.pendingCount()} pending, warnings: ${warnings.slice(0, 3).join(' | ')}`);
  await trigger.idle();
  clearInterval(sampler);
  assert.equal(events.length, watched.size, 'every file the watcher reported came out, once');
  const missed = N - watched.size;
  if (missed > 0) t.diagnostic(`the watcher missed ${missed} files in the new folder; the rescan finds them`);
  assert.deepEqual(await trigger.rescan('Inbox'), { scanned: N, changed: missed });
  await trigger.idle();
  assert.equal(events.length, N, 'no file twice');
  assert.equal(new Set(events.map((e) => e.path)).size, N);
  assert.ok(events.every((e) => e.sha256 === sha(`file number ${e.path.slice('batch/f'.length, -'.txt'.length)}`)));
  assert.equal(trigger.pendingCount(), 0);
  assert.ok(peak > 0 && peak <= N, `pending peaked at ${peak}`);
  assert.equal(seenRows().length, N);
  const grownMb = (process.memoryUsage().heapUsed - heapBefore) / 1e6;
  assert.ok(grownMb < 100, `heap grew ${grownMb.toFixed(1)} MB`);
});
