// HTML to plain text with a small tokenizer: no HTML library is among our dependencies, and for
// text extraction we need only tags, raw-text elements, comments and entities, not a DOM.

import { decodeWindows1252 } from './text.js';

/** Elements whose content is never text for a reader (raw text, or markup for machines). */
const SKIPPED = new Set(['script', 'style', 'noscript', 'template', 'svg', 'math', 'iframe', 'object', 'canvas']);
/** Blocks that stand apart as paragraphs. */
const PARAGRAPHS = new Set([
  'p', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'title', 'blockquote', 'pre', 'table', 'ul', 'ol', 'dl',
  'hr', 'section', 'article', 'header', 'footer', 'nav', 'aside', 'main', 'figure', 'address', 'form', 'fieldset', 'details',
]);
/** Blocks that start a new line. */
const LINES = new Set(['div', 'li', 'tr', 'dt', 'dd', 'figcaption', 'caption', 'summary', 'legend', 'option']);
const CELLS = new Set(['td', 'th']);

// Comment | doctype | processing instruction | tag with (quoted) attributes. Attributes never run
// over a '<' and quoted values are bounded, so unclosed markup cannot make the scan quadratic.
const TOKEN =
  /<!--[\s\S]*?(?:-->|$)|<![^<>]*>?|<\?[^<>]*>?|<(\/?)([a-zA-Z][a-zA-Z0-9:-]*)((?:[^<>"']|"[^"]{0,4096}"|'[^']{0,4096}')*)>/g;

/** The readable text of an HTML document, block elements kept as line breaks, entities decoded. */
export function htmlToText(html: string): string {
  const out: string[] = [];
  let preDepth = 0;
  let at = 0;
  // Line breaks owed before the next text: nested and adjacent blocks make one break, not many.
  let pendingBreaks = 0;
  const text = (raw: string) => {
    // Outside <pre>, source line breaks and indentation are not part of the text.
    const piece = decodeEntities(preDepth > 0 ? raw : raw.replace(/[ \t\n\r\f]+/g, ' '));
    if (piece.trim() === '' && (pendingBreaks > 0 || out.length === 0)) return;
    if (pendingBreaks > 0 && out.length > 0) out.push('\n'.repeat(pendingBreaks));
    pendingBreaks = 0;
    out.push(piece);
  };

  TOKEN.lastIndex = 0;
  for (let m = TOKEN.exec(html); m !== null; m = TOKEN.exec(html)) {
    text(html.slice(at, m.index));
    at = TOKEN.lastIndex;
    const name = m[2]?.toLowerCase();
    if (name === undefined) continue; // comment, doctype, processing instruction
    const closing = m[1] === '/';
    const selfClosing = (m[3] ?? '').trimEnd().endsWith('/');
    if (SKIPPED.has(name)) {
      if (closing || selfClosing) continue;
      const end = new RegExp(`</${name}[\\s/>]`, 'gi');
      end.lastIndex = at;
      const found = end.exec(html);
      at = found === null ? html.length : html.indexOf('>', found.index) + 1 || html.length;
      TOKEN.lastIndex = at;
      continue;
    }
    if (name === 'pre' && !selfClosing) preDepth = Math.max(0, preDepth + (closing ? -1 : 1));
    if (PARAGRAPHS.has(name)) pendingBreaks = 2;
    else if (name === 'br') pendingBreaks = Math.min(2, pendingBreaks + 1);
    else if (LINES.has(name)) pendingBreaks = Math.max(1, pendingBreaks);
    else if (CELLS.has(name) && !closing && pendingBreaks === 0 && out.length > 0) out.push('\t'); // between cells, not before a row's first
  }
  text(html.slice(at));
  return out.join('');
}

// HTML 4's Latin-1 entities, in code point order from U+00A0 (the ones old pages use without a semicolon).
const LATIN1_NAMES =
  'nbsp iexcl cent pound curren yen brvbar sect uml copy ordf laquo not shy reg macr deg plusmn sup2 sup3 acute micro ' +
  'para middot cedil sup1 ordm raquo frac14 frac12 frac34 iquest Agrave Aacute Acirc Atilde Auml Aring AElig Ccedil ' +
  'Egrave Eacute Ecirc Euml Igrave Iacute Icirc Iuml ETH Ntilde Ograve Oacute Ocirc Otilde Ouml times Oslash Ugrave ' +
  'Uacute Ucirc Uuml Yacute THORN szlig agrave aacute acirc atilde auml aring aelig ccedil egrave eacute ecirc euml ' +
  'igrave iacute icirc iuml eth ntilde ograve oacute ocirc otilde ouml divide oslash ugrave uacute ucirc uuml yacute thorn yuml';

const LEGACY = new Set(['amp', 'lt', 'gt', 'quot', ...LATIN1_NAMES.split(' ')]);

const ENTITIES = new Map<string, string>([
  ['amp', '&'], ['lt', '<'], ['gt', '>'], ['quot', '"'], ['apos', "'"],
  ...LATIN1_NAMES.split(' ').map((name, i): [string, string] => [name, String.fromCharCode(0xa0 + i)]),
  ['OElig', 'Œ'], ['oelig', 'œ'], ['Scaron', 'Š'], ['scaron', 'š'], ['Yuml', 'Ÿ'], ['fnof', 'ƒ'], ['circ', 'ˆ'],
  ['tilde', '˜'], ['ensp', '\u2002'], ['emsp', '\u2003'], ['thinsp', '\u2009'], ['zwnj', '\u200c'], ['zwj', '\u200d'],
  ['lrm', '\u200e'], ['rlm', '\u200f'], ['ndash', '–'], ['mdash', '—'], ['lsquo', '‘'], ['rsquo', '’'], ['sbquo', '‚'],
  ['ldquo', '“'], ['rdquo', '”'], ['bdquo', '„'], ['dagger', '†'], ['Dagger', '‡'], ['bull', '•'], ['hellip', '…'],
  ['permil', '‰'], ['prime', '′'], ['Prime', '″'], ['lsaquo', '‹'], ['rsaquo', '›'], ['oline', '‾'], ['frasl', '⁄'],
  ['euro', '€'], ['trade', '™'], ['larr', '←'], ['uarr', '↑'], ['rarr', '→'], ['darr', '↓'], ['harr', '↔'],
  ['minus', '−'], ['le', '≤'], ['ge', '≥'], ['ne', '≠'], ['asymp', '≈'], ['infin', '∞'], ['check', '✓'],
]);


export function decodeEntities(text: string): string {
  if (!text.includes('&')) return text;
  return text.replace(/&(?:#(\d{1,8})|#[xX]([0-9a-fA-F]{1,7})|([a-zA-Z][a-zA-Z0-9]{1,31}));?/g, (whole, dec, hex, name) => {
    if (name !== undefined) {
      const found = ENTITIES.get(name as string);
      if (found === undefined) return whole;
      // Without a semicolon only the old Latin-1 names count, as in browsers.
      return whole.endsWith(';') || LEGACY.has(name as string) ? found : whole;
    }
    const code = dec !== undefined ? Number.parseInt(dec as string, 10) : Number.parseInt(hex as string, 16);
    // Numeric references in 0x80–0x9F mean Windows-1252, as browsers read them.
    if (code >= 0x80 && code <= 0x9f) return decodeWindows1252(Uint8Array.of(code));
    if (code === 0 || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return '\ufffd';
    return String.fromCodePoint(code);
  });
}
