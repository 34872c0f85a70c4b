/**
 * Files an agent must never act on: editors' lock and swap files, half-finished downloads,
 * the desktop's own metadata, anything hidden (which includes the share's .hearth folder).
 * Acting on them would cost a model call for junk, or read a file while it is being written.
 */

// Whole names, any case: the file managers' metadata.
const IGNORED_NAMES = new Set(['thumbs.db', 'ehthumbs.db', 'desktop.ini', '$recycle.bin', 'system volume information']);
// Endings of temporary and partial files (browsers, rsync, vim, Office, Windows Explorer).
const IGNORED_ENDINGS = ['.part', '.partial', '.tmp', '.temp', '.crdownload', '.download', '.crswap', '.swp', '.swo', '~'];

/** True when relPath ('/'-separated, relative to the share) is not a document anyone meant to file. */
export function isIgnoredFile(relPath: string): boolean {
  const segments = relPath.split('/').filter((s) => s !== '');
  if (segments.length === 0) return true;
  for (const segment of segments) {
    const lower = segment.toLowerCase();
    // A dot name is hidden on every desktop: .DS_Store, ._x (macOS resource forks), .~lock.x# (LibreOffice), .hearth.
    if (segment.startsWith('.')) return true;
    if (IGNORED_NAMES.has(lower)) return true;
    // Folders too: Safari downloads into "x.pdf.download/x.pdf".
    if (IGNORED_ENDINGS.some((end) => lower.endsWith(end))) return true;
  }
  // Office's owner file next to an open document.
  return segments[segments.length - 1]!.startsWith('~$');
}
