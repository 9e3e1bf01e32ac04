// Errors shared across layers. Every error that is the user's input's fault (not a sparsec bug)
// extends UserError, so the CLI prints its message as one line and never calls it internal.

/** The input (a model, IR text, an option, a file) is at fault; the message says what and where. */
export class UserError extends Error {
  override name = 'UserError';
}

/** Input that is valid but uses something sparsec does not implement (an op, a type, a mode). */
export class UnsupportedError extends UserError {
  override name = 'UnsupportedError';
}

/** A model that breaks ONNX's rules; the message starts "invalid model:" and names the node. */
export class InvalidModelError extends UserError {
  override name = 'InvalidModelError';
}

/** Input that is valid but larger than a limit (elements, bytes, nesting); the message gives both. */
export class LimitError extends UserError {
  override name = 'LimitError';
}
