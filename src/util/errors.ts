// Errors shared across layers.

/** Input that is valid but uses something sparsec does not implement (an op, a type, a mode). */
export class UnsupportedError extends Error {
  override name = 'UnsupportedError';
}
