// Runs one fuzz case in this process: a class and a seed, or a saved input. Anything the class code
// itself lets escape is an internal error, so a case always ends in a verdict.
import { fuzzClass, replay } from './classes.js';
import { classifyError, type CaseInput, type CaseResult } from './verdict.js';

export interface CaseRequest {
  cls: string;
  seed: number;
  /** Replays this input instead of generating one from the seed. */
  input?: CaseInput;
}

export async function runCase(req: CaseRequest): Promise<CaseResult> {
  try {
    return req.input ? await replay(req.input) : await fuzzClass(req.cls).run(req.seed);
  } catch (e) {
    const r = classifyError(e, 'fuzz case');
    return { ...r, verdict: 'internal-error', detail: `escaped the case's stages: ${r.detail}` };
  }
}
