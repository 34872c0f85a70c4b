import { open } from 'node:fs/promises';

/** Interim: the first bytes must say GGUF v2/v3 (the full header validator replaces this). */
export async function checkGgufHeader(path: string): Promise<{ ok: true } | { ok: false; error: string }> {
  const fh = await open(path, 'r');
  try {
    const head = Buffer.alloc(8);
    const { bytesRead } = await fh.read(head, 0, 8, 0);
    if (bytesRead < 8 || head.toString('latin1', 0, 4) !== 'GGUF') return { ok: false, error: 'not a GGUF file' };
    const version = head.readUInt32LE(4);
    if (version !== 2 && version !== 3) return { ok: false, error: `unsupported GGUF version ${version}` };
    return { ok: true };
  } finally {
    await fh.close();
  }
}
