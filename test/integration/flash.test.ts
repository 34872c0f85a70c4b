// `hearth flash` for real, onto disk image FILES only: a small GPT fixture with an ESP is built here
// (sfdisk, mkfs.vfat), and the real CLI writes it, verifies it and puts the provisioning file on the
// ESP. No test here names a /dev path: the device refusals are tested in test/unit/flash-target.test.ts.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, open, readFile, rm, stat, writeFile, copyFile, truncate } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI } from '../helpers/daemon.js';
import { espDeleteFile, espLocation, espOffset, espReadFile, espWriteFile } from '../../provisioning/src/esp.js';

const TOOLS: [string, string][] = [
  ['/usr/sbin/sfdisk', 'fdisk'],
  ['/usr/bin/mcopy', 'mtools'],
  ['/usr/sbin/mkfs.vfat', 'dosfstools'],
  ['/usr/bin/zstd', 'zstd'],
];

const MiB = 1024 * 1024;
let dir: string;
let img: string; // 64 MiB GPT disk image: ESP (32 MiB at 1 MiB, vfat) + a Linux partition with random bytes
let imgBytes: Buffer;
let zst: string;

function sha256(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}

function flash(args: string[], stdin = ''): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [CLI, 'flash', ...args], { cwd: dir });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (c: Buffer) => (stdout += c));
    p.stderr.on('data', (c: Buffer) => (stderr += c));
    p.on('close', (code) => resolve({ code, stdout, stderr }));
    p.stdin.end(stdin);
  });
}

/** An existing target file filled with a pattern, and a check that it is still exactly that. */
async function patternFile(name: string, size: number): Promise<{ path: string; unchanged: () => Promise<void> }> {
  const path = join(dir, name);
  const content = Buffer.alloc(size, 0xa5);
  await writeFile(path, content);
  return {
    path,
    unchanged: async () => {
      const now = await readFile(path);
      assert.equal(now.length, size, `${name} keeps its size`);
      assert.ok(now.equals(content), `${name} is unchanged`);
    },
  };
}

before(async () => {
  const missing = TOOLS.filter(([p]) => !existsSync(p)).map(([, pkg]) => pkg);
  assert.deepEqual(missing, [], `the flash tests need these Debian packages: ${missing.join(' ')} (apt-get install ${missing.join(' ')})`);
  assert.ok(existsSync(CLI), 'build first: npm run -s build');
  dir = await mkdtemp(join(tmpdir(), 'hearth-flash-'));
  img = join(dir, 'hearth-0.0.0-test.img');
  await writeFile(img, '');
  await truncate(img, 64 * MiB);
  execFileSync('sfdisk', ['-q', '--no-reread', '--no-tell-kernel', img], {
    input: 'label: gpt\nstart=2048, size=65536, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, name=esp\ntype=0FC63DAF-8483-4772-8E79-3D69D8477DE4, name=hearth-data\n',
  });
  execFileSync('mkfs.vfat', ['--offset', '2048', '-n', 'ESP', img, String(32 * 1024)], { stdio: 'ignore' });
  // Random bytes in the data partition, so that a wrong offset or a short write shows.
  const fh = await open(img, 'r+');
  await fh.write(randomBytes(8 * MiB), 0, 8 * MiB, 40 * MiB);
  await fh.close();
  imgBytes = await readFile(img);
  await writeFile(`${img}.sha256`, `${sha256(imgBytes)}  hearth-0.0.0-test.img\n`);
  zst = `${img}.zst`;
  execFileSync('zstd', ['-q', '-o', zst, img]);
  await writeFile(`${zst}.sha256`, `${sha256(await readFile(zst))}  hearth-0.0.0-test.img.zst\n`);
});

after(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

test('esp.ts finds the ESP and writes, reads and deletes a file in it', async () => {
  const copy = join(dir, 'esp-copy.img');
  await copyFile(img, copy);
  assert.deepEqual(await espLocation(copy), { offset: MiB, size: 32 * MiB });
  assert.equal(await espOffset(copy), MiB);
  assert.equal(await espReadFile(copy, 'hearth-factory-reset'), null);
  await espWriteFile(copy, 'hearth-factory-reset', '');
  assert.deepEqual(await espReadFile(copy, 'hearth-factory-reset'), Buffer.alloc(0));
  await espWriteFile(copy, 'note.txt', 'one');
  await espWriteFile(copy, 'note.txt', 'two, replaced');
  assert.equal((await espReadFile(copy, 'note.txt'))?.toString(), 'two, replaced');
  assert.equal(await espDeleteFile(copy, 'note.txt'), true);
  assert.equal(await espDeleteFile(copy, 'note.txt'), false);
  assert.equal(await espReadFile(copy, 'note.txt'), null);
  // Only the ESP changed: the data partition is byte for byte the same.
  const after = await readFile(copy);
  assert.ok(after.subarray(33 * MiB).equals(imgBytes.subarray(33 * MiB)));
  await assert.rejects(espLocation(join(dir, 'hearth-0.0.0-test.img.sha256')), /partition table|GPT/);
  await rm(copy);
});

test('a raw image onto a new file: same bytes, verified, progress shown a line per 10 %', async () => {
  const target = join(dir, 'new-disk.img');
  const r = await flash([img, target]);
  assert.equal(r.code, 0, r.stderr);
  const out = await readFile(target);
  assert.equal(out.length, imgBytes.length);
  assert.ok(out.equals(imgBytes), 'the target holds exactly the image');
  assert.match(r.stderr, /Checking hearth-0\.0\.0-test\.img against hearth-0\.0\.0-test\.img\.sha256/);
  const writing = r.stderr.split('\n').filter((l) => l.startsWith('Writing'));
  assert.ok(writing.length >= 5 && writing.length <= 16, `a line per 10 %, not per chunk:\n${r.stderr}`);
  assert.match(writing.at(-1)!, /100 %\s+67 MB of 67 MB\s+[\d.]+ MB\/s/);
  assert.match(r.stderr, /Verifying 100 %/);
  assert.match(r.stderr, /Verified: 67 MB read back/);
  assert.match(r.stdout, /Done: hearth-0\.0\.0-test\.img is on .*new-disk\.img/);
  await rm(target);
});

test('a .img.zst onto a larger disk file with --provision: the ESP holds the file, the rest is the image', async () => {
  const disk = await patternFile('big-disk.img', 80 * MiB);
  const provision = join(dir, 'provision.json');
  const text = JSON.stringify({ hostname: 'kitchen-box', timezone: 'Europe/Berlin', setupCode: 'K7QM-2XPD', wifi: { ssid: 'Home', password: 'correct horse', country: 'DE' } }, null, 2) + '\n';
  await writeFile(provision, text);
  const r = await flash([zst, disk.path, '--provision', provision, '--yes']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /Checking hearth-0\.0\.0-test\.img\.zst against/);
  assert.match(r.stderr, /Wrote hearth-provision\.json to the boot partition/);
  assert.match(r.stdout, /http:\/\/kitchen-box\.local/);

  // Read with mtype itself, as a person (or the box's first boot) would.
  const onEsp = execFileSync('mtype', ['-i', `${disk.path}@@${MiB}`, '::/hearth-provision.json'], { env: { ...process.env, MTOOLS_SKIP_CHECK: '1' } });
  assert.equal(onEsp.toString(), text, 'the provisioning file is on the ESP as written');
  const out = await readFile(disk.path);
  assert.equal(out.length, 80 * MiB, 'a disk keeps its size');
  assert.ok(out.subarray(0, MiB).equals(imgBytes.subarray(0, MiB)), 'partition table as in the image');
  assert.ok(out.subarray(33 * MiB, 64 * MiB).equals(imgBytes.subarray(33 * MiB)), 'data partition as in the image');
  assert.ok(out.subarray(64 * MiB).equals(Buffer.alloc(16 * MiB, 0xa5)), 'nothing written past the image');
  await rm(disk.path);
});

test('an invalid provisioning file: every problem listed, exit 2, nothing written', async () => {
  const disk = await patternFile('untouched-1.img', 80 * MiB);
  const bad = join(dir, 'bad.json');
  await writeFile(bad, JSON.stringify({ hostname: 'no spaces allowed', timezone: 'Mars/Olympus', colour: 'red' }));
  const r = await flash([img, disk.path, '--provision', bad, '--yes']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /nothing was written/);
  assert.match(r.stderr, /colour/);
  await writeFile(bad, JSON.stringify({ hostname: 'no spaces allowed', timezone: 'Mars/Olympus' }));
  const r2 = await flash([img, disk.path, '--provision', bad, '--yes']);
  assert.equal(r2.code, 2);
  assert.match(r2.stderr, /2 problems/);
  assert.match(r2.stderr, /- hostname:/);
  assert.match(r2.stderr, /- timezone: "Mars\/Olympus"/);
  assert.doesNotMatch(r2.stderr, /Writing/);
  await writeFile(bad, '{ "hostname": "x", }');
  const r3 = await flash([img, disk.path, '--provision', bad, '--yes']);
  assert.equal(r3.code, 2);
  assert.match(r3.stderr, /not valid JSON/);
  const r4 = await flash([img, disk.path, '--provision', join(dir, 'nope.json'), '--yes']);
  assert.equal(r4.code, 2);
  assert.match(r4.stderr, /Cannot read the provisioning file .*no such file/);
  await disk.unchanged();
  await rm(disk.path);
});

test('a target smaller than the image is refused with both sizes', async () => {
  const disk = await patternFile('small-disk.img', 16 * MiB);
  for (const image of [img, zst]) {
    const r = await flash([image, disk.path, '--yes']);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /too small: it holds 17 MB \(16777216 bytes\) and the image needs 67 MB \(67108864 bytes\)/);
  }
  await disk.unchanged();
  await rm(disk.path);
});

test('an image that does not match its .sha256 is refused before writing', async () => {
  const other = join(dir, 'other');
  await mkdir(other);
  const copy = join(other, 'hearth-0.0.0-test.img');
  await copyFile(img, copy);
  await writeFile(`${copy}.sha256`, `${'0'.repeat(64)}  hearth-0.0.0-test.img\n`);
  const target = join(other, 'never-created.img');
  const disk = await patternFile('untouched-2.img', 80 * MiB);
  const r = await flash([copy, target, '--yes']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /does not match hearth-0\.0\.0-test\.img\.sha256 .*download it again/i);
  assert.equal(existsSync(target), false, 'no file created');
  const r2 = await flash([copy, disk.path, '--yes']);
  assert.equal(r2.code, 2);
  await disk.unchanged();
  // A damaged compressed image next to a correct .sha256 of the original is caught the same way.
  const zcopy = join(other, 'hearth-0.0.0-test.img.zst');
  const z = await readFile(zst);
  const mid = z.length >> 1;
  z[mid] = z[mid]! ^ 0xff;
  await writeFile(zcopy, z);
  await copyFile(`${zst}.sha256`, `${zcopy}.sha256`);
  const r3 = await flash([zcopy, disk.path, '--yes']);
  assert.equal(r3.code, 2, r3.stderr);
  assert.match(r3.stderr, /does not match/);
  await disk.unchanged();
  await rm(disk.path);
});

test('without a terminal and without --yes, an existing target is refused with a hint to pass --yes', async () => {
  const disk = await patternFile('untouched-3.img', 80 * MiB);
  const r = await flash([img, disk.path], 'yes\n');
  assert.equal(r.code, 2);
  assert.match(r.stderr, /pass --yes/);
  assert.match(r.stderr, /untouched-3\.img \(a 84 MB file\)/);
  await disk.unchanged();
  await rm(disk.path);
});

test('bad arguments: a missing image, the image as its own target, a folder, a missing folder', async () => {
  const cases: [string[], RegExp][] = [
    [[], /Give the image and where to write it/],
    [[img], /Give the image and where to write it/],
    [[join(dir, 'missing.img'), join(dir, 'x.img'), '--yes'], /No image file at/],
    [[img, img, '--yes'], /is the image itself/],
    [[img, dir, '--yes'], /is a folder/],
    [[img, join(dir, 'no', 'such', 'dir.img'), '--yes'], /does not exist/],
    [[img, join(dir, 'x.img'), 'extra', '--yes'], /Unexpected argument "extra"/],
  ];
  for (const [args, message] of cases) {
    const r = await flash(args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message);
  }
  assert.equal(existsSync(join(dir, 'x.img')), false);
  assert.ok((await stat(img)).size === imgBytes.length && (await readFile(img)).equals(imgBytes), 'the image is untouched');
});

/** Runs the CLI on a pseudo-terminal (util-linux `script`), typing `answer` when the question shows. */
function flashOnTerminal(args: string[], answer: string): Promise<{ code: number | null; output: string }> {
  const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
  const command = [process.execPath, CLI, 'flash', ...args].map(quote).join(' ');
  return new Promise((resolve) => {
    const p = spawn('script', ['-qec', command, '/dev/null'], { cwd: dir });
    let output = '';
    let answered = false;
    p.stdout.on('data', (c: Buffer) => {
      output += c;
      if (!answered && output.includes('Type yes:')) {
        answered = true;
        p.stdin.write(`${answer}\n`);
      }
    });
    p.on('close', (code) => {
      p.stdin.destroy();
      resolve({ code, output });
    });
  });
}

test('on a terminal: asks naming the image, its size and the target; only "yes" writes', async () => {
  assert.ok(existsSync('/usr/bin/script'), 'this test needs /usr/bin/script for a real terminal (Debian package bsdutils)');
  const disk = await patternFile('asked.img', 80 * MiB);
  const no = await flashOnTerminal([img, disk.path], 'y');
  assert.match(no.output, /Write hearth-0\.0\.0-test\.img \(67 MB\) to .*asked\.img \(a 84 MB file\)\? Everything on it is erased\. Type yes:/);
  assert.equal(no.code, 2, no.output);
  assert.match(no.output, /Not confirmed; nothing was written/);
  await disk.unchanged();

  const yes = await flashOnTerminal([zst, disk.path], 'yes');
  assert.equal(yes.code, 0, yes.output);
  // One updating line: carriage returns and a bar, not a line per step.
  assert.match(yes.output, /\r\x1b\[KWriting\s+\[#+\.*\]\s+\d+ %/);
  assert.match(yes.output, /\[#{30}\] 100 %/);
  const out = await readFile(disk.path);
  assert.ok(out.subarray(0, 64 * MiB).equals(imgBytes));
  await rm(disk.path);
});

test('a damaged .zst without a checksum file fails while decompressing (exit 1) and leaves no new file behind', async () => {
  const damagedDir = join(dir, 'damaged');
  await mkdir(damagedDir);
  const z = await readFile(zst);
  const mid = z.length >> 1;
  z[mid] = z[mid]! ^ 0xff;
  const bad = join(damagedDir, 'hearth-0.0.0-test.img.zst');
  await writeFile(bad, z);
  const target = join(damagedDir, 'new.img');
  const r = await flash([bad, target, '--yes']);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /Could not decompress hearth-0\.0\.0-test\.img\.zst: .*download it again/);
  assert.equal(existsSync(target), false);
});
