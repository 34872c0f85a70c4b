// The image part of make bench: build the amd64 image from scratch (debootstrap to
// compressed image; Debian packages come from image/cache when cached there) and boot it
// through the image boot test, which times boot to /api/health and, for the same image
// with hearthd masked, boot to the login prompt. Both under software emulation (TCG).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../helpers/daemon.js';
import { type Figures, progress } from './figures.js';

export async function imageFigures(figures: Figures): Promise<void> {
  const version = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version as string;
  const image = join(ROOT, `image/out/hearth-${version}-amd64.img`);
  progress('image: building the amd64 image from scratch (a few minutes)');
  const build = spawnSync('bash', [join(ROOT, 'image/build.sh'), 'amd64'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  if (build.status !== 0) throw new Error('image build failed (see above)');
  const built = JSON.parse(readFileSync(image.replace(/\.img$/, '.build.json'), 'utf8'));
  figures.add('image: build time (debootstrap to compressed image)', built.buildSeconds, 's', 'amd64, Debian packages from image/cache');
  figures.add('image: raw disk image', Math.round(built.rawBytes / 1e6), 'MB', `${built.files} files, kernel ${built.kernel}`);
  figures.add('image: compressed (zstd -3)', Math.round(built.compressedBytes / 1e6), 'MB');

  progress('image: booting it in QEMU (TCG, 2 cores, 2 GiB) through test/image/boot.test.ts');
  const boot = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=dot', join(ROOT, 'test/image/boot.test.ts')], {
    cwd: ROOT,
    env: { ...process.env, HEARTH_IMAGE: image },
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 64 << 20,
  });
  if (boot.status !== 0) throw new Error(`the image boot test failed:\n${boot.stdout.toString().slice(-6000)}`);
  const b = JSON.parse(readFileSync(image.replace(/\.img$/, '.boot.json'), 'utf8'));
  figures.add('image: first boot to /api/health (grows data, makes keys)', b.firstBootToHealthMs, 'ms', 'from QEMU start, TCG emulation');
  figures.add('image: boot to /api/health', b.bootToHealthMs, 'ms', 'cold boot of a set-up box, from QEMU start');
  figures.add('image: boot to login prompt, hearthd masked', b.bootToLoginWithoutHearthdMs, 'ms', 'same image, same run');
  figures.add("image: hearthd's share of boot to health", Math.round(b.hearthdShareOfBoot * 1000) / 10, '%', '(health - plain login) / health');
  figures.add('image: flash helper, image to a file with verify', b.flashMs, 'ms');
}
