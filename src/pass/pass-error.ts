// A pass that threw or left invalid IR, reported by the pass's name (with the path of its reproducer).
// Not a UserError: a failing pass is a bug in the pass, whoever wrote it. Its own module so that the
// CLI can recognise it without loading the pass manager.
export class PassError extends Error {
  override name = 'PassError';
  constructor(readonly pass: string, message: string, readonly reproducer?: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
  }
}
