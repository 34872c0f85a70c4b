import { readFile } from 'node:fs/promises';
import { freemem, totalmem } from 'node:os';
import type { Llama } from 'node-llama-cpp';

/** The memory facts a fit verdict is computed against, in bytes. */
export interface MachineMemory {
  totalRam: number;
  /** MemAvailable: what can be allocated without swapping, page cache included. */
  freeRam: number;
  vram: { total: number; free: number };
  /** GPU and CPU share one pool (DGX Spark, Apple silicon): VRAM is not extra memory. */
  unified: boolean;
}

/** Injected into the fit check so tests can pose as any machine. */
export type MachineMemorySource = () => Promise<MachineMemory>;

/** MemTotal and MemAvailable from /proc/meminfo text, in bytes; null when either is missing. */
export function parseMemInfo(text: string): { totalRam: number; freeRam: number } | null {
  const kib = (key: string) => {
    const m = new RegExp(`^${key}:\\s+(\\d+)\\s*kB`, 'm').exec(text);
    return m ? Number(m[1]) * 1024 : null;
  };
  const totalRam = kib('MemTotal');
  const freeRam = kib('MemAvailable');
  return totalRam === null || freeRam === null ? null : { totalRam, freeRam };
}

/**
 * This machine's memory: RAM from /proc/meminfo (os.freemem() elsewhere, which undercounts
 * reclaimable cache), VRAM from the llama.cpp backend when one is given.
 */
export function systemMemory(options: { llama?: Pick<Llama, 'getVramState'>; meminfoPath?: string } = {}): MachineMemorySource {
  const meminfoPath = options.meminfoPath ?? '/proc/meminfo';
  return async () => {
    const ram = parseMemInfo(await readFile(meminfoPath, 'utf8').catch(() => '')) ?? { totalRam: totalmem(), freeRam: freemem() };
    const vram = options.llama ? await options.llama.getVramState() : { total: 0, used: 0, free: 0, unifiedSize: 0 };
    return {
      ...ram,
      vram: { total: vram.total, free: vram.free },
      // node-llama-cpp's own test for a unified-memory system.
      unified: vram.unifiedSize > 0,
    };
  };
}

/** A fixed answer, for tests and for the CLI's "what would fit on a box like X" question. */
export function fixedMemory(memory: MachineMemory): MachineMemorySource {
  return async () => memory;
}
