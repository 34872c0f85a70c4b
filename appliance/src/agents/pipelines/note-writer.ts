import { PathGuard, PathRefusedError } from '../../shares/path-guard.js';
import { ShareFiles } from '../../shares/share-files.js';

const MAX_NOTE_BYTES = 1024 * 1024;

/** A title as a file name any SMB client accepts: no reserved characters, no leading dots, not too long. */
export function noteFileName(title: string): string {
  const base = title
    .normalize('NFC')
    .replace(/[\u0000-\u001f\u007f/\\:*?"<>|]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/^[.\s]+|[.\s]+$/g, '')
    .slice(0, 80)
    .trim();
  return base || 'Note';
}

/**
 * Writes a Markdown note into a share through the path guard, atomically, never over a file it
 * did not write: each note ends with a marker naming the agent and the work it came from. If the
 * name is taken by the owner's file, "Title (2).md" and so on; if the marker is already there
 * (a run cut off after writing), that note is the result, so a rerun writes nothing twice.
 * Returns the note's path inside the share.
 */
export async function writeNote(guard: PathGuard, folder: string, title: string, markdown: string, marker: string): Promise<string> {
  const files = new ShareFiles(guard, { maxUploadBytes: MAX_NOTE_BYTES });
  const dir = await ensureFolder(guard, files, folder);
  const tag = `<!-- hearth:${marker} -->`;
  const body = Buffer.from(`${markdown.trimEnd()}\n\n${tag}\n`, 'utf8');
  const base = noteFileName(title);
  for (let n = 1; n <= 100; n++) {
    const name = n === 1 ? `${base}.md` : `${base} (${n}).md`;
    const rel = dir ? `${dir}/${name}` : name;
    if (await isOurs(guard, rel, tag)) return rel;
    try {
      const r = await files.upload(dir, name, once(body), { expectedBytes: body.length });
      return r.entry.path;
    } catch (err) {
      if (err instanceof PathRefusedError && err.reason === 'exists') continue; // the owner's file: never replaced
      throw err;
    }
  }
  throw new Error(`there are already 100 notes named "${base}" in ${folder || 'the share'}`);
}

async function* once(body: Buffer): AsyncIterable<Buffer> {
  yield body;
}

async function isOurs(guard: PathGuard, rel: string, tag: string): Promise<boolean> {
  let opened;
  try {
    opened = await guard.openFile(rel);
  } catch (err) {
    if (err instanceof PathRefusedError && err.reason === 'not-found') return false;
    if (err instanceof PathRefusedError) return false; // a folder or something odd by that name: pick another name
    throw err;
  }
  try {
    if (opened.stats.size > MAX_NOTE_BYTES + 1024) return false;
    const text = (await opened.handle.readFile()).toString('utf8');
    return text.includes(tag);
  } finally {
    await opened.handle.close();
  }
}

/** The folder for notes, made (each level through the guard) when missing; '' is the share root. */
async function ensureFolder(guard: PathGuard, files: ShareFiles, folder: string): Promise<string> {
  const parts = folder.split('/').map((p) => p.trim()).filter((p) => p && p !== '.');
  let rel = '';
  for (const part of parts) {
    rel = rel ? `${rel}/${part}` : part;
    try {
      const found = await guard.resolve(rel, 'read');
      if (found.kind !== 'dir') throw new PathRefusedError('not-a-directory', `${rel} is a file, not a folder for notes. Choose another notes folder.`, rel);
    } catch (err) {
      if (!(err instanceof PathRefusedError) || err.reason !== 'not-found') throw err;
      await files.makeFolder(rel).catch((e: unknown) => {
        if (!(e instanceof PathRefusedError) || e.reason !== 'exists') throw e;
      });
    }
  }
  return rel;
}
