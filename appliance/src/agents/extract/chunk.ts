/** A stretch of the text: [start, end) offsets. Chunks are slices of the text, never rebuilt strings. */
type Range = [start: number, end: number];

/** Boundaries to split at, best first: the separators between paragraphs, lines, sentences, words. */
const BOUNDARIES: RegExp[] = [
  /\n[ \t]*\n\s*/g, // a blank line
  /\n\s*/g, // a line end (the blanks before it are trimmed off the line)
  // After . ! ? … (and up to 3 closing quotes or brackets: bounded, so a long run of quotes is not
  // rescanned at every position) followed by space; after CJK full stops even without space.
  /(?<=[.!?…]["'”’»)\]]{0,3})\s+|(?<=[。！？])\s*/g,
  /\s+/g,
];

const isSpace = (ch: string | undefined) => ch !== undefined && /\s/.test(ch);

function trim(text: string, start: number, end: number): Range {
  while (start < end && isSpace(text[start])) start++;
  while (end > start && isSpace(text[end - 1])) end--;
  return [start, end];
}

/** The non-empty stretches between the separators `boundary` finds in text[start, end), as flat [start, end, ...] pairs. */
function split(text: string, start: number, end: number, boundary: RegExp): number[] {
  const parts: number[] = [];
  const push = (from: number, to: number) => {
    [from, to] = trim(text, from, to);
    if (to > from) parts.push(from, to);
  };
  let from = start;
  for (const m of text.slice(start, end).matchAll(boundary)) {
    push(from, start + m.index);
    from = start + m.index + m[0].length;
  }
  push(from, end);
  return parts;
}

/** Adds a stretch of at most max characters, joined to the last chunk while the joined slice (separators included) fits. */
function add(chunks: Range[], start: number, end: number, max: number): void {
  const last = chunks[chunks.length - 1];
  if (last !== undefined && end - last[0] <= max) last[1] = end;
  else chunks.push([start, end]);
}

/** Splits text[start, end) at the first boundary level that makes pieces of at most max, and packs them greedily. */
function collect(text: string, start: number, end: number, level: number, max: number, chunks: Range[]): void {
  [start, end] = trim(text, start, end);
  if (start >= end) return;
  if (end - start <= max) return add(chunks, start, end, max);
  const boundary = BOUNDARIES[level];
  if (boundary === undefined) {
    // A word longer than a chunk: cut every max characters, never inside a surrogate pair (unless max is 1).
    for (let from = start; from < end; ) {
      let to = Math.min(from + max, end);
      const last = text.charCodeAt(to - 1);
      if (to < end && last >= 0xd800 && last <= 0xdbff && to - 1 > from) to--;
      add(chunks, from, to, max);
      from = to;
    }
    return;
  }
  const parts = split(text, start, end, boundary);
  if (parts.length <= 2) return collect(text, start, end, level + 1, max, chunks);
  for (let i = 0; i < parts.length; i += 2) collect(text, parts[i]!, parts[i + 1]!, level + 1, max, chunks);
}

/**
 * Splits text into chunks of at most maxChars, in order, none empty: at paragraph breaks where
 * possible, else at line ends, sentence ends, spaces, and only as a last resort inside a word.
 * With overlapChars, each chunk after the first begins with up to that many characters of the end
 * of the one before (from a word start), so text next to a cut keeps some of its context.
 * The overlap is capped at half of maxChars so every chunk still carries mostly new text.
 */
export function chunkText(text: string, maxChars: number, overlapChars = 0): string[] {
  if (!Number.isInteger(maxChars) || maxChars < 1) throw new RangeError(`maxChars must be a positive integer, not ${maxChars}`);
  const overlap = Math.max(0, Math.min(Math.floor(overlapChars) || 0, Math.floor(maxChars / 2)));
  // Room is left in every chunk for the overlap it will carry.
  const ranges: Range[] = [];
  collect(text, 0, text.length, 0, maxChars - overlap, ranges);
  return ranges.map(([start, end], i) => {
    const previous = ranges[i - 1];
    if (overlap === 0 || previous === undefined) return text.slice(start, end);
    const [previousStart, previousEnd] = previous;
    const wordStart = (at: number) => !isSpace(text[at]) && (at === 0 || isSpace(text[at - 1]));
    let from = Math.max(previousStart, previousEnd - overlap, end - maxChars);
    while (from < previousEnd && !wordStart(from)) from++;
    // No word starts in the tail (one long word was cut): no overlap rather than half a word.
    return text.slice(from < previousEnd ? from : start, end);
  });
}
