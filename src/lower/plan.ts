// The kernel plan: what a function becomes on a target, as plain data. One KernelCall per op (in
// program order): which kernel, the weight format, the schedule, scratch bytes, whether the result
// may take an operand's slot, and why this choice. Targets render it; the autotuner searches it;
// `sparsec compile --emit plan` prints it and manifest.json carries it.
import type { Func, Op } from '../ir/core.js';

/** How a kernel reads its weight: the structured form of a format, not a description. */
export type Format =
  | { readonly kind: 'dense' }
  /** Compressed sparse rows over the [outputs, inputs] view; column indices of indexBits bits. */
  | { readonly kind: 'csr'; readonly indexBits: 16 | 32 }
  /** Blocks of block[0] outputs x block[1] inputs; block-column indices of indexBits bits. */
  | { readonly kind: 'bsr'; readonly block: readonly [number, number]; readonly indexBits: 16 | 32 }
  /** At most n nonzeros in every group of m along the weight's axis (its reduction axis). */
  | { readonly kind: 'nm'; readonly n: number; readonly m: number; readonly axis: number };

export type ScheduleValue = number | string | boolean;
export type Schedule = Readonly<Record<string, ScheduleValue>>;

/** One choice a kernel offers: a format and a schedule (what `space` lists and the autotuner picks from). */
export interface Choice {
  readonly format: Format;
  readonly schedule: Schedule;
}

export interface KernelCall extends Choice {
  /** The kernel kind (an entry of KERNELS). */
  readonly kernel: string;
  /** The op it computes, with its location label. */
  readonly op: string;
  readonly loc?: string;
  /** Operand and result names as the IR prints them. */
  readonly operands: readonly string[];
  readonly results: readonly string[];
  /** The sizes the kernel is specialised for (M, K, N, positions...), when it has any. */
  readonly dims?: Readonly<Record<string, number>>;
  /** Bytes of the shared scratch region the kernel uses. */
  readonly scratchBytes: number;
  /** An operand (by index) whose storage the result may take: it reads element i before writing i. */
  readonly inPlace?: number;
  /** Why this kernel and this format. */
  readonly why: string;
  /** Who chose it: the kernel table's default, a tuning database record, or measuring now. */
  readonly source: ChoiceSource;
}

export type ChoiceSource = 'default' | 'database' | 'tuned';

/** A call with the op it computes (the op is for renderers; the call alone is the data). */
export interface PlannedCall {
  readonly op: Op;
  readonly call: KernelCall;
}

export interface KernelPlan {
  /** The capabilities the plan was selected for. */
  readonly target: string;
  /** The (legalised) function whose ops the calls compute. */
  readonly func: Func;
  readonly calls: readonly PlannedCall[];
}

/** The plan as JSON-serialisable data. */
export const planData = (plan: KernelPlan): { target: string; calls: KernelCall[] } => ({ target: plan.target, calls: plan.calls.map((c) => c.call) });

/** A format in one short line: `dense`, `csr u16`, `bsr 4x1 u16`, `nm 2:4 axis 1`. */
export function formatName(f: Format): string {
  switch (f.kind) {
    case 'dense': return 'dense';
    case 'csr': return `csr u${f.indexBits}`;
    case 'bsr': return `bsr ${f.block[0]}x${f.block[1]} u${f.indexBits}`;
    case 'nm': return `nm ${f.n}:${f.m} axis ${f.axis}`;
  }
}

const value = (v: unknown): string => (typeof v === 'string' && /^[\w.-]+$/.test(v) ? v : JSON.stringify(v));

/** The plan as text, one call a line (what `--emit plan` prints and golden tests pin). */
export function printPlan(plan: KernelPlan): string {
  const count = (s: ChoiceSource) => plan.calls.filter((c) => c.call.source === s).length;
  const chosen = [count('database') ? `${count('database')} from the tuning database` : '', count('tuned') ? `${count('tuned')} tuned now` : ''].filter(Boolean);
  const lines = [`plan for ${plan.target}: ${plan.calls.length} kernel calls${chosen.length ? ` (${chosen.join(', ')}; the rest the kernel table's defaults)` : ''}`];
  for (const { call: c } of plan.calls) {
    const sched = Object.entries(c.schedule).map(([k, v]) => `${k}=${value(v)}`).join(' ');
    const dims = c.dims ? Object.entries(c.dims).map(([k, v]) => `${k}=${v}`).join(' ') : '';
    const parts = [
      `${c.results.join(', ')} = ${c.kernel}(${c.operands.join(', ')})`,
      `op ${c.op}${c.loc ? ` "${c.loc}"` : ''}`,
      `format ${formatName(c.format)}`,
      ...(dims ? [`dims ${dims}`] : []),
      ...(sched ? [`schedule ${sched}`] : []),
      ...(c.scratchBytes ? [`scratch ${c.scratchBytes}`] : []),
      ...(c.inPlace !== undefined ? [`in-place ${c.operands[c.inPlace]}`] : []),
      ...(c.source !== 'default' ? [c.source === 'database' ? 'from the tuning database' : 'tuned now'] : []),
    ];
    lines.push(`  ${parts.join(' | ')}`);
    lines.push(`    why: ${c.why}`);
  }
  return lines.join('\n') + '\n';
}
