// A QEMU virtual machine booting a Hearth disk image under UEFI (OVMF / AAVMF) with
// software emulation (this machine has no usable KVM), its serial console in a file and
// its network on a tap device inside a test network namespace.

import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { appendFileSync, copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sleep } from '../net/lab.js';

export type Arch = 'amd64' | 'arm64';

const FIRMWARE: Record<Arch, { code: string; vars: string; pkg: string; qemu: string; qemuPkg: string }> = {
  amd64: { code: '/usr/share/OVMF/OVMF_CODE_4M.fd', vars: '/usr/share/OVMF/OVMF_VARS_4M.fd', pkg: 'ovmf', qemu: 'qemu-system-x86_64', qemuPkg: 'qemu-system-x86' },
  arm64: { code: '/usr/share/AAVMF/AAVMF_CODE.fd', vars: '/usr/share/AAVMF/AAVMF_VARS.fd', pkg: 'qemu-efi-aarch64', qemu: 'qemu-system-aarch64', qemuPkg: 'qemu-system-arm' },
};

/** Why this machine cannot boot an image of this architecture, or [] when it can. */
export function vmPrerequisites(arch: Arch): string[] {
  const fw = FIRMWARE[arch];
  const problems: string[] = [];
  if (!existsSync(fw.code)) problems.push(`UEFI firmware ${fw.code} is missing (Debian package ${fw.pkg})`);
  if (!existsSync(`/usr/bin/${fw.qemu}`)) problems.push(`${fw.qemu} is missing (Debian package ${fw.qemuPkg})`);
  return problems;
}

export interface VmOptions {
  arch: Arch;
  disk: string;
  /** Network namespace holding the tap device. */
  netns: string;
  tap: string;
  mac: string;
  dir: string;
  name: string;
}

export class Vm {
  private proc: ChildProcess | null = null;
  private exited: Promise<number | null> = Promise.resolve(null);
  readonly serialPath: string;
  private readonly varsPath: string;
  private readonly monitorPath: string;
  startedAt = 0;
  /** Reboots the guest asked for since the last start (each one powered on again at once). */
  reboots = 0;
  private serialOffset = 0;
  private stopping = false;
  private resolveExit: (code: number | null) => void = () => {};

  constructor(private readonly o: VmOptions) {
    this.serialPath = join(o.dir, `${o.name}.serial`);
    this.varsPath = join(o.dir, `${o.name}.vars.fd`);
    this.monitorPath = join(o.dir, `${o.name}.monitor`);
  }

  /** Cold start; the serial log restarts so waits only see this boot. */
  start(): void {
    if (this.proc) throw new Error('the VM is already running');
    const fw = FIRMWARE[this.o.arch];
    if (!existsSync(this.varsPath)) copyFileSync(fw.vars, this.varsPath);
    // The last boot's console goes to the whole run's log; then the file is emptied here: a wait
    // must never see the last boot.
    this.keepConsole();
    writeFileSync(this.serialPath, '');
    this.serialOffset = 0;
    this.startedAt = Date.now();
    this.reboots = 0;
    this.exited = new Promise((resolve) => (this.resolveExit = resolve));
    this.spawnQemu();
  }

  /**
   * One QEMU process. -no-reboot: a reboot the guest asks for ends QEMU, and the VM is powered on
   * again at once, like a box whose reboot is a power cycle. QEMU's warm reset under OVMF and TCG
   * has stalled between the reset and the guest kernel's first line: once for good in a CI run,
   * once for 90 s in 35 reboots here, while cold starts never did. Every boot is a cold one now.
   */
  private spawnQemu(): void {
    const fw = FIRMWARE[this.o.arch];
    // -cpu max: every feature TCG emulates (the default qemu64 model has tripped the guest's FPU code);
    // on arm64 with the cheap pointer-authentication algorithm, which is many times faster to emulate.
    const machine = this.o.arch === 'amd64' ? ['-machine', 'q35', '-cpu', 'max', '-accel', 'tcg'] : ['-machine', 'virt', '-cpu', 'max,pauth-impdef=on', '-accel', 'tcg'];
    const args = [
      'netns', 'exec', this.o.netns, fw.qemu,
      ...machine,
      '-smp', '2', '-m', '2048', '-no-reboot',
      '-drive', `if=pflash,format=raw,unit=0,readonly=on,file=${fw.code}`,
      '-drive', `if=pflash,format=raw,unit=1,file=${this.varsPath}`,
      '-drive', `if=none,id=disk,format=raw,file=${this.o.disk}`,
      '-device', 'virtio-blk-pci,drive=disk',
      '-netdev', `tap,id=net0,ifname=${this.o.tap},script=no,downscript=no`,
      '-device', `virtio-net-pci,netdev=net0,mac=${this.o.mac}`,
      '-device', 'virtio-rng-pci',
      '-display', 'none', '-vga', 'none',
      // QEMU's human monitor, to ask where the CPUs are when the console goes quiet.
      '-monitor', `unix:${this.monitorPath},server,nowait`,
      // Appended to, not truncated, so a reboot's console follows the boot before it.
      '-chardev', `file,id=console,path=${this.serialPath},append=on`, '-serial', 'chardev:console',
    ];
    const bootStart = this.consoleLength();
    const proc = spawn('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    this.proc = proc;
    proc.on('exit', (code) => {
      if (code !== 0 && code !== null && stderr) process.stderr.write(`qemu (${this.o.name}) exited ${code}: ${stderr}\n`);
      const rebooted = code === 0 && !this.stopping && /reboot: Restarting system/.test(readFileSync(this.serialPath, 'utf8').slice(bootStart));
      if (rebooted) {
        this.reboots++;
        this.spawnQemu();
        return;
      }
      this.proc = null;
      this.stopping = false;
      this.resolveExit(code);
    });
  }

  private consoleLength(): number {
    try {
      return readFileSync(this.serialPath, 'utf8').length;
    } catch {
      return 0;
    }
  }

  get running(): boolean {
    return this.proc !== null;
  }

  /** Every boot's console so far, oldest first, each headed by when QEMU started. */
  get consoleLogPath(): string {
    return join(this.o.dir, `${this.o.name}.console.log`);
  }

  /** Appends the current boot's console to the run's log (at each start, and once more at the end). */
  keepConsole(): void {
    if (!existsSync(this.serialPath) || !this.startedAt) return;
    appendFileSync(this.consoleLogPath, `\n===== boot at ${new Date(this.startedAt).toISOString()} =====\n${readFileSync(this.serialPath, 'utf8')}`);
    writeFileSync(this.serialPath, '');
  }

  /** Everything the serial console printed in this boot, with ANSI escapes removed. */
  serial(): string {
    try {
      return readFileSync(this.serialPath, 'utf8').slice(this.serialOffset).replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');
    } catch {
      return '';
    }
  }

  /** Later waits only look at what the console prints from now on (across a reboot the guest asks for). */
  markSerial(): void {
    this.serialOffset = this.consoleLength();
  }

  /** Wait for the console to print something matching; ms since QEMU started. */
  async waitSerial(what: string, pattern: RegExp, timeoutMs: number): Promise<{ match: RegExpMatchArray; ms: number }> {
    const t0 = Date.now();
    for (;;) {
      const m = this.serial().match(pattern);
      if (m) return { match: m, ms: Date.now() - this.startedAt };
      if (!this.proc) throw new Error(`the VM stopped before ${what}; console:\n${this.tail()}`);
      if (/Kernel panic - not syncing/.test(this.serial())) throw new Error(`the guest kernel crashed before ${what}; console:\n${this.tail()}`);
      if (Date.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} on the serial console; last lines:\n${this.tail()}\n${await this.cpuState()}`);
      await sleep(250);
    }
  }

  /** The console's last lines; from the start of a guest kernel crash when there is one. */
  tail(lines = 40): string {
    const all = this.serial().split('\n');
    const crash = all.findIndex((l) => /Kernel panic|BUG:|Oops:|general protection fault/.test(l));
    return crash >= 0 ? all.slice(crash, crash + lines).join('\n') : all.slice(-lines).join('\n');
  }

  /** A command on QEMU's human monitor; its answer, without the echo and prompt. */
  monitor(command: string, timeoutMs = 10_000): Promise<string> {
    return new Promise((resolve, reject) => {
      const socket = connect(this.monitorPath);
      let out = '';
      let sent = false;
      const timer = setTimeout(() => { socket.destroy(); reject(new Error(`QEMU's monitor did not answer "${command}" within ${timeoutMs} ms`)); }, timeoutMs);
      socket.on('data', (d: Buffer) => {
        out += d.toString();
        if (!out.endsWith('(qemu) ')) return;
        if (!sent) { sent = true; out = ''; socket.write(`${command}\n`); return; }
        clearTimeout(timer);
        socket.end();
        resolve(out.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '').split(/\r?\n/).slice(1, -1).join('\n'));
      });
      socket.on('error', (err) => { clearTimeout(timer); reject(err); });
    });
  }

  /**
   * Where each virtual CPU is, for a boot that went quiet: its instruction pointer and paging
   * registers tell firmware (low addresses) from the guest kernel (0xffff...).
   */
  async cpuState(): Promise<string> {
    if (!this.proc) return 'the VM is not running';
    try {
      // Two samples a second apart: a CPU that stays put is stuck, one that moves is busy.
      const samples: string[] = [];
      for (const when of ['now', 'a second later']) {
        if (samples.length) await sleep(1000);
        const regs = await this.monitor('info registers -a');
        const wanted = regs.split('\n').filter((l) => /^CPU#|^(RIP|EIP)=|^ *PC=|CR0=|EFER=/.test(l)).join('\n');
        samples.push(`${when}:\n${wanted || regs.slice(0, 2000)}`);
      }
      return `the virtual CPUs (QEMU monitor), ${samples.join('\n')}`;
    } catch (err) {
      return `the virtual CPUs could not be read: ${(err as Error).message}`;
    }
  }

  /** Wait for QEMU to exit on its own (the guest powered off). */
  async waitExit(timeoutMs: number): Promise<void> {
    const done = await Promise.race([this.exited.then(() => true), sleep(timeoutMs).then(() => false)]);
    if (!done) throw new Error(`the VM did not power off within ${timeoutMs} ms; console:\n${this.tail()}`);
  }

  async kill(): Promise<void> {
    if (!this.proc) return;
    this.stopping = true;
    this.proc.kill('SIGKILL');
    await this.exited;
  }
}
