import { TokenType } from './format.js';

/** SentencePiece's word-boundary marker: a piece "▁the" is " the". */
export const SPACE = '\u2581';

/** A llama (SentencePiece-style) vocabulary for a synthetic model, plus the ids the model is wired around. */
export interface SyntheticVocabulary {
  readonly tokens: readonly string[];
  readonly scores: Float32Array;
  readonly types: Int32Array;
  readonly unk: number;
  readonly bos: number;
  readonly eos: number;
  readonly imStart: number;
  readonly imEnd: number;
  /** The `"` piece: the synthetic model's built-in bias favours it so JSON strings close. */
  readonly quote: number;
}

const SPECIALS: ReadonlyArray<[string, number]> = [
  ['<unk>', TokenType.UNKNOWN],
  ['<s>', TokenType.CONTROL],
  ['</s>', TokenType.CONTROL],
];
// ChatML turn markers must be control tokens for the chat template to tokenize them as one token each.
const CHATML: ReadonlyArray<[string, number]> = [
  ['<|im_start|>', TokenType.CONTROL],
  ['<|im_end|>', TokenType.CONTROL],
];
const FIXED_COUNT = SPECIALS.length + 256 + CHATML.length;

const WORDS = (
  'the of and to in is you that it he was for on are as with his they at be this have from or one had by ' +
  'word but not what all were we when your can said there use an each which she do how their if will up other ' +
  'about out many then them these so some her would make like him into time has look two more write go see ' +
  'number no way could people my than first water been call who its now find long down day did get come made ' +
  'may part title name file note home folder model answer summary date today hello world hearth json text'
).split(' ');

/** Ordinary pieces in a fixed order, most "frequent" first; more than any shape needs. */
function* ordinaryPieces(): Generator<string> {
  yield SPACE;
  // Every printable ASCII character, so ordinary text rarely falls back to byte tokens (space is "▁").
  for (let c = 0x21; c <= 0x7e; c++) yield String.fromCharCode(c);
  const lower = 'abcdefghijklmnopqrstuvwxyz';
  for (const w of WORDS) {
    // Every prefix, so SentencePiece's pairwise merges can reach the whole word.
    for (let i = 1; i <= w.length; i++) yield SPACE + w.slice(0, i);
    for (let i = 2; i <= w.length; i++) yield w.slice(0, i);
  }
  for (const a of lower) yield SPACE + a;
  for (const a of 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789') yield SPACE + a;
  for (const a of lower) for (const b of lower) yield a + b;
  for (const a of lower) for (const b of lower) yield SPACE + a + b;
  for (const a of lower) for (const b of lower) for (const c of lower) yield a + b + c;
  for (const a of lower) for (const b of lower) for (const c of lower) yield SPACE + a + b + c;
}

/** Most vocabulary a synthetic model can have (the ordinary pieces run out after that). */
export const MAX_SYNTHETIC_VOCAB = 37_000;

/**
 * Builds the vocabulary: <unk> <s> </s>, the 256 byte tokens `<0x00>`..`<0xFF>` (so any
 * text can be encoded by byte fallback), the ChatML markers, then ordinary pieces up to `size`.
 */
export function syntheticVocabulary(size: number): SyntheticVocabulary {
  if (!Number.isInteger(size) || size < FIXED_COUNT + 100 || size > MAX_SYNTHETIC_VOCAB) {
    throw new RangeError(`vocabulary size must be an integer from ${FIXED_COUNT + 100} to ${MAX_SYNTHETIC_VOCAB}, got ${size}`);
  }
  const tokens: string[] = [];
  const types: number[] = [];
  const scores: number[] = [];
  const add = (piece: string, type: number, score: number) => {
    tokens.push(piece);
    types.push(type);
    scores.push(score);
  };
  for (const [piece, type] of SPECIALS) add(piece, type, 0);
  for (let b = 0; b < 256; b++) add(`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`, TokenType.BYTE, 0);
  for (const [piece, type] of CHATML) add(piece, type, 0);

  const seen = new Set(tokens);
  for (const piece of ordinaryPieces()) {
    if (tokens.length >= size) break;
    if (seen.has(piece)) continue;
    seen.add(piece);
    // Score is SentencePiece's merge priority: earlier pieces win ties.
    add(piece, TokenType.NORMAL, -tokens.length);
  }
  if (tokens.length < size) throw new RangeError(`synthetic vocabulary has only ${tokens.length} pieces, ${size} asked`);
  const id = (piece: string) => {
    const i = tokens.indexOf(piece);
    if (i < 0) throw new Error(`synthetic vocabulary lacks ${JSON.stringify(piece)}`);
    return i;
  };
  return {
    tokens,
    scores: Float32Array.from(scores),
    types: Int32Array.from(types),
    unk: id('<unk>'),
    bos: id('<s>'),
    eos: id('</s>'),
    imStart: id('<|im_start|>'),
    imEnd: id('<|im_end|>'),
    quote: id('"'),
  };
}
