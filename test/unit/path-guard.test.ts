import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { lstat, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PathGuard, PathRefusedError, type PathIntent, type PathRefusal } from '../../appliance/src/shares/path-guard.js';

// A real share folder with hostile things in it, and a folder "outside" next to it.
let base: string;
let share: string;
let outside: string;
let guard: PathGuard;
let socketServer: Server | null = null;

before(async () => {
  base = await mkdtemp(join(tmpdir(), 'hearth-path-guard-'));
  share = join(base, 'Inbox');
  outside = join(base, 'outside');
  await mkdir(join(share, 'Letters', '2025'), { recursive: true });
  await mkdir(join(share, '.hearth', 'tmp'), { recursive: true });
  await mkdir(outside);
  await writeFile(join(share, 'Letters', 'tax.pdf'), 'tax');
  await writeFile(join(share, '.hearth', 'secret'), 'internal');
  await writeFile(join(outside, 'private.txt'), 'not yours');
  await symlink('/etc', join(share, 'etc-link'));
  await symlink('/etc/passwd', join(share, 'passwd-link'));
  await symlink(outside, join(share, 'outside-link'));
  await symlink('Letters/tax.pdf', join(share, 'tax-link'));
  await symlink('Letters', join(share, 'letters-link'));
  await symlink('.hearth', join(share, 'internal-link'));
  await symlink('loop-b', join(share, 'loop-a'));
  await symlink('loop-a', join(share, 'loop-b'));
  await symlink('self-loop', join(share, 'self-loop'));
  await symlink('gone', join(share, 'dangling-link'));
  execFileSync('mkfifo', [join(share, 'pipe')]);
  guard = new PathGuard({ root: share, access: 'read-write' });
});
after(async () => {
  socketServer?.close();
  await rm(base, { recursive: true, force: true });
});

async function refused(path: string, intent: PathIntent, reason: PathRefusal, g = guard): Promise<PathRefusedError> {
  const err = await g.resolve(path, intent).then(
    (p) => assert.fail(`${JSON.stringify(path)} (${intent}) was allowed as ${p.absolute}`),
    (e: unknown) => e,
  );
  assert.ok(err instanceof PathRefusedError, `${JSON.stringify(path)}: ${String(err)}`);
  assert.equal(err.reason, reason, `${JSON.stringify(path)} (${intent}): ${err.message}`);
  assert.ok(err.message.length > 20, 'a message a person can act on');
  return err;
}

test('ordinary paths resolve inside the real share root; "." and empty segments are dropped', async () => {
  const p = await guard.resolve('Letters//./tax.pdf', 'read');
  assert.equal(p.relative, 'Letters/tax.pdf');
  assert.equal(p.kind, 'file');
  assert.equal(await readFile(p.absolute, 'utf8'), 'tax');
  assert.equal((await guard.resolve('', 'read')).kind, 'dir');
  assert.equal((await guard.resolve('.', 'read')).relative, '');
  assert.equal((await guard.resolve('Letters/2025/../tax.pdf', 'read')).relative, 'Letters/tax.pdf');
});

test('../ and absolute paths are refused', async () => {
  for (const p of ['..', '../', '../outside/private.txt', 'Letters/../../outside', 'a/b/../../..', './..']) await refused(p, 'read', 'outside-share');
  for (const p of ['/etc/passwd', '/', `${share}/Letters/tax.pdf`]) await refused(p, 'read', 'absolute-path');
  await refused('../evil.txt', 'create', 'outside-share');
});

test('names with NUL, backslashes or control characters are refused', async () => {
  await refused('Letters/tax.pdf\0.txt', 'read', 'bad-name');
  await refused('\0', 'create', 'bad-name');
  await refused('..\\..\\etc\\passwd', 'read', 'bad-name');
  await refused('Letters\\tax.pdf', 'read', 'bad-name');
  await refused('line\nbreak.txt', 'create', 'bad-name');
});

test('300-byte names, over-long paths and very deep paths are refused', async () => {
  await refused('a'.repeat(300), 'create', 'too-long');
  await refused(`Letters/${'é'.repeat(128)}`, 'create', 'too-long'); // 256 bytes in UTF-8
  assert.equal((await guard.resolve(`Letters/${'a'.repeat(255)}`, 'create')).kind, null);
  await refused(Array(900).fill('abcd').join('/'), 'read', 'too-long');
  await refused(Array(65).fill('d').join('/'), 'read', 'too-deep');
});

test('a symlink to /etc is refused, directly and as a folder in the path', async () => {
  await refused('etc-link', 'read', 'symlink-escape');
  await refused('etc-link/passwd', 'read', 'symlink-escape');
  await refused('passwd-link', 'read', 'symlink-escape');
  await refused('passwd-link', 'write', 'symlink-escape');
  await refused('etc-link/hearth-test-evil', 'create', 'symlink-escape');
  await refused('outside-link/private.txt', 'delete', 'symlink-escape');
  await assert.rejects(guard.openFile('passwd-link'), (e: unknown) => e instanceof PathRefusedError && e.reason === 'symlink-escape');
});

test('symlinks that stay inside the share are followed', async () => {
  const viaFile = await guard.resolve('tax-link', 'read');
  assert.equal(viaFile.absolute, join(await realShare(), 'Letters', 'tax.pdf'));
  assert.equal(viaFile.kind, 'file');
  assert.equal((await guard.resolve('letters-link/tax.pdf', 'read')).kind, 'file');
  const { handle } = await guard.openFile('letters-link/tax.pdf');
  assert.equal((await handle.readFile()).toString(), 'tax');
  await handle.close();
});

test('delete of a symlink aims at the link itself, never its target', async () => {
  await symlink(join(outside, 'private.txt'), join(share, 'to-remove'));
  const p = await guard.resolve('to-remove', 'delete');
  assert.equal(p.kind, 'symlink');
  assert.equal(p.absolute, join(await realShare(), 'to-remove'));
});

test('symlink loops are refused with a clear message', async () => {
  const err = await refused('loop-a', 'read', 'loop');
  assert.match(err.message, /loop/);
  await refused('self-loop', 'read', 'loop');
  await refused('loop-a/x.txt', 'create', 'loop');
  await refused('dangling-link', 'read', 'not-found');
});

test('a FIFO and a socket are refused, and opening a FIFO does not hang', async () => {
  await refused('pipe', 'read', 'special-file');
  await refused('pipe', 'write', 'special-file');
  await assert.rejects(guard.openFile('pipe'), (e: unknown) => e instanceof PathRefusedError && e.reason === 'special-file');

  socketServer = createServer();
  await new Promise<void>((resolve) => socketServer!.listen(join(share, 'sock'), resolve));
  assert.ok((await lstat(join(share, 'sock'))).isSocket());
  await refused('sock', 'read', 'special-file');
});

test('a device file is refused (needs root for mknod)', async () => {
  try {
    execFileSync('mknod', [join(share, 'null-device'), 'c', '1', '3'], { stdio: 'ignore' });
  } catch (err) {
    // Fails rather than skips: the tests run as root, and a device file must be tried for real.
    assert.fail(`mknod could not make a device file to test with (run the tests as root): ${(err as Error).message}`);
  }
  await refused('null-device', 'read', 'special-file');
  await assert.rejects(guard.openFile('null-device'), (e: unknown) => e instanceof PathRefusedError && e.reason === 'special-file');
});

test('the .hearth internal folder is never reachable', async () => {
  for (const p of ['.hearth', '.hearth/secret', '.hearth/tmp', '.HEARTH/secret', 'Letters/../.hearth/secret', './.hearth']) await refused(p, 'read', 'internal');
  await refused('.hearth/new.txt', 'create', 'internal');
  await refused('.hearth', 'delete', 'internal');
  await refused('internal-link/secret', 'read', 'internal');
  await refused('internal-link', 'read', 'internal');
  // A .hearth folder deeper down is an ordinary user folder.
  assert.equal((await guard.resolve('Letters/.hearth', 'create')).kind, null);
});

test('write intents on a read grant are refused; reads are allowed', async () => {
  const readOnly = new PathGuard({ root: share, access: 'read' });
  assert.equal((await readOnly.resolve('Letters/tax.pdf', 'read')).kind, 'file');
  for (const intent of ['write', 'create', 'delete'] as const) await refused('Letters/tax.pdf', intent, 'read-only', readOnly);
});

test('create refuses what exists; write replaces files, not folders; delete needs something there', async () => {
  await refused('Letters/tax.pdf', 'create', 'exists');
  assert.equal((await guard.resolve('Letters/tax.pdf', 'write')).kind, 'file');
  assert.equal((await guard.resolve('Letters/new.pdf', 'write')).kind, null);
  await refused('Letters', 'write', 'is-directory');
  await refused('Letters/none.pdf', 'delete', 'not-found');
  await refused('Letters/none.pdf', 'read', 'not-found');
  await refused('Missing/new.txt', 'create', 'not-found');
  await refused('Letters/tax.pdf/inner.txt', 'create', 'not-a-directory');
  await refused('', 'delete', 'share-root');
  await refused('.', 'write', 'share-root');
});

test('NFC and NFD names: created as NFC, found under either form', async () => {
  const nfc = 'Résumé.txt'.normalize('NFC');
  const nfd = nfc.normalize('NFD');
  assert.notEqual(nfc, nfd);
  // A name sent in NFD (as macOS does) is created in NFC.
  const created = await guard.resolve(nfd, 'create');
  assert.equal(created.relative, nfc);
  await writeFile(created.absolute, 'cv');
  assert.equal((await guard.resolve(nfd, 'read')).relative, nfc);
  assert.equal((await guard.resolve(nfc, 'read')).relative, nfc);
  await refused(nfd, 'create', 'exists');

  // A file that landed on disk in NFD (copied from a Mac over SMB) is found by its NFC name.
  const macName = 'Café.txt'.normalize('NFD');
  await writeFile(join(share, macName), 'coffee');
  const found = await guard.resolve('Café.txt'.normalize('NFC'), 'read');
  assert.equal(found.relative, macName);
  assert.equal(await readFile(found.absolute, 'utf8'), 'coffee');
  await refused('Café.txt'.normalize('NFC'), 'create', 'exists');
});

test('a share whose folder vanished is reported, not crashed', async () => {
  const gone = new PathGuard({ root: join(base, 'unplugged'), access: 'read-write' });
  await refused('x.txt', 'read', 'share-missing', gone);
});

test('tempDir is <share>/.hearth/tmp, mode 0700', async () => {
  const dir = await guard.tempDir();
  assert.equal(dir, join(await realShare(), '.hearth', 'tmp'));
  const fresh = new PathGuard({ root: outside, access: 'read-write' });
  const made = await fresh.tempDir();
  assert.equal((await lstat(made)).mode & 0o777, 0o700);
});

async function realShare(): Promise<string> {
  const { realpath } = await import('node:fs/promises');
  return realpath(share);
}
