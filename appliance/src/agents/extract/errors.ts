/** A file that cannot be read (damaged, encrypted, not what its name says): the message tells a person what to do. */
export class ExtractError extends Error {
  override name = 'ExtractError';
}
