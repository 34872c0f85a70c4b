/**
 * Turns what a person typed into an FTS5 query that cannot be an FTS syntax error: every word is a
 * quoted string (so AND, NEAR(, *, -, quotes and colons are only text), joined by AND or OR.
 */

/** More terms than this add cost, not precision. */
const MAX_TERMS = 16;
/** A longer "word" is pasted noise (a hash, base64); it would match nothing anyway. */
const MAX_TERM_CHARS = 64;

// Letters, digits and combining marks are what unicode61 keeps as token characters.
const WORD = /[\p{L}\p{N}][\p{L}\p{N}\p{M}]*/gu;

// Words too common to tell documents apart, dropped from questions (English and German: the box's first owners).
const STOPWORDS = new Set(
  (
    'a an and are as at be been but by can could did do does for from had has have how i if in into is it its me my ' +
    'of on or our please say said should so tell than that the their them then there these they this to was we were ' +
    'what when where which who whom why will with would you your about any all also just some ' +
    'der die das den dem des ein eine einen einem einer und oder ist sind war wie was wer wo wann warum mit von zu ' +
    'im in am auf für fur bei nach aus ich mein meine mir mich du dein es sie er wir ihr uns gibt hat habe haben'
  ).split(' '),
);

export interface FtsQueryOptions {
  /** 'and': every word must occur (search box); 'or': any word, bm25 ranks (questions). */
  mode?: 'and' | 'or';
  /** The last word also matches longer words ("invo" finds "invoice"): for search-as-you-type. */
  prefixLast?: boolean;
  /** Drop common words first (kept when nothing else is left). */
  dropStopwords?: boolean;
}

/** The words of a text as FTS5 sees them, lower-cased and NFC; duplicates and over-long ones dropped. */
export function queryTerms(text: string, options: { dropStopwords?: boolean } = {}): string[] {
  const words = text.normalize('NFC').toLowerCase().match(WORD) ?? [];
  const seen = new Set<string>();
  const terms: string[] = [];
  for (const w of words) {
    if (w.length > MAX_TERM_CHARS || seen.has(w)) continue;
    seen.add(w);
    terms.push(w);
  }
  if (options.dropStopwords) {
    const kept = terms.filter((t) => !STOPWORDS.has(t));
    if (kept.length > 0) return kept.slice(0, MAX_TERMS);
  }
  return terms.slice(0, MAX_TERMS);
}

/** The FTS5 MATCH expression, or null when the text has no words (then there is nothing to find). */
export function toFtsQuery(text: string, options: FtsQueryOptions = {}): string | null {
  const terms = queryTerms(text, { dropStopwords: options.dropStopwords });
  if (terms.length === 0) return null;
  // The terms hold no quotes (WORD has none), so wrapping in quotes is the whole escaping.
  const quoted = terms.map((t, i) => `"${t}"${options.prefixLast && i === terms.length - 1 ? '*' : ''}`);
  return quoted.join(options.mode === 'or' ? ' OR ' : ' AND ');
}
