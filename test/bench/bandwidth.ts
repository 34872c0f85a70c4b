// Memory read bandwidth, the ceiling for decode speed: every generated token reads (almost) every weight once.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { progress } from './figures.js';

// Runs in a worker thread (plain JS, so no loader is needed there). memchr (Buffer#indexOf for a byte
// that is absent) and memcmp (Buffer.compare of equal buffers) are glibc's vectorised loops: the fastest
// reads one thread of this process can make. The buffers are filled first so every page is really there
// (a fresh zeroed page would all map to one shared page and read from cache).
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const size = workerData.bytes;
const a = Buffer.allocUnsafeSlow(size).fill(1);
const b = Buffer.allocUnsafeSlow(size).fill(1);
a.indexOf(2); Buffer.compare(a, b); // warm: page tables and TLB
parentPort.postMessage({ ready: true });
parentPort.once('message', () => {
  let bytes = 0;
  const t0 = performance.now();
  for (let i = 0; i < workerData.rounds; i++) {
    if (a.indexOf(2) !== -1) throw new Error('impossible');
    if (Buffer.compare(a, b) !== 0) throw new Error('impossible');
    bytes += 3 * size;
  }
  parentPort.postMessage({ bytes, seconds: (performance.now() - t0) / 1000 });
});
`;

/** `threads` workers read their own buffers at the same time; returns the total bytes per second. */
async function readBandwidth(threads: number, bytesPerThread: number, rounds: number): Promise<number> {
  const workers = Array.from({ length: threads }, () => new Worker(WORKER, { eval: true, workerData: { bytes: bytesPerThread, rounds } }));
  try {
    const next = (w: Worker) =>
      new Promise<{ bytes: number; seconds: number }>((resolve, reject) => {
        w.once('message', resolve);
        w.once('error', reject);
      });
    await Promise.all(workers.map(next));
    const done = workers.map(next);
    for (const w of workers) w.postMessage('go');
    const results = await Promise.all(done);
    const bytes = results.reduce((s, r) => s + r.bytes, 0);
    const seconds = Math.max(...results.map((r) => r.seconds));
    return bytes / seconds;
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

export interface Bandwidth {
  singleThread: number;
  allThreads: number;
  threads: number;
}

/** Best of three runs each: single thread, then one thread per core. Bytes per second. */
export async function measureBandwidth(): Promise<Bandwidth> {
  const threads = availableParallelism();
  progress(`memory read bandwidth: 1 thread, then ${threads} threads (memchr + memcmp over 2 × 1 GiB each)`);
  const best = async (t: number) => {
    let top = 0;
    for (let i = 0; i < 3; i++) top = Math.max(top, await readBandwidth(t, 2 ** 30, 2));
    return top;
  };
  const singleThread = await best(1);
  const allThreads = threads > 1 ? await best(threads) : singleThread;
  return { singleThread, allThreads, threads };
}
