// The wasm target: lowers a function to one WebAssembly SIMD module with a static memory plan:
// weights and tables in data segments (in the layout the kernels read), inputs, an activation arena
// packed by liveness, and a shared scratch region. Each op family's lowering lives in lower/.
import type { Func, Value } from '../../src/ir/core.js';
import { binaryen, none, optimizeModule, usedRelaxedSimd, useRelaxedSimd } from './emit.js';
import { DTYPE_NAMES, isWasmType, type DtypeName } from './dtype.js';
import { declareHostMath } from './kernels/map.js';
import { describe, LowerContext, WasmCompileError, type Lowering } from './lower/context.js';
import { ELEMENTWISE_LOWERINGS } from './lower/elementwise.js';
import { PRODUCT_RENDERS, type Render } from './lower/matmul.js';
import { CONV_RENDERS } from './lower/conv.js';
import { MOVEMENT_LOWERINGS } from './lower/movement.js';
import { REDUCE_LOWERINGS } from './lower/reduce.js';
import { bytesOf, planMemory } from './plan.js';
import { appendFingerprint, fingerprintOf } from './fingerprint.js';
import { LimitError } from '../../src/util/errors.js';
import { KERNELS } from '../../src/lower/kernels/index.js';
import { genericKernelName } from '../../src/lower/kernels/generic.js';
import { planData, type KernelCall, type KernelPlan } from '../../src/lower/plan.js';
import { planFor } from '../../src/lower/lower.js';
import type { TargetCaps } from '../../src/lower/caps.js';
import { formatBytes, MAX_TENSOR_ELEMENTS, WASM32_MAX_BYTES } from '../../src/util/limits.js';

export { WasmCompileError };

export interface TensorSlot {
  name: string;
  shape: number[];
  dtype: DtypeName;
  offset: number;
}

export interface KernelInfo {
  op: string;
  loc?: string;
  kernel: string;
  format: string;
  schedule?: Record<string, number | string>;
}

export interface Manifest {
  inputs: TensorSlot[];
  outputs: TensorSlot[];
  memoryBytes: number;
  /** Peak bytes of the activation arena. */
  arenaBytes: number;
  /** Bytes of the shared scratch region (im2col columns, transposed operands). */
  scratchBytes: number;
  weightBytes: number;
  /** Element-wise results written over their operand's slot. */
  inPlace: number;
  kernels: KernelInfo[];
  /** The kernel plan the module renders: one call per op (src/lower/plan.ts). */
  plan: { target: string; calls: KernelCall[] };
  /** Shared with model.wasm (a custom section) and model.mjs: loaders refuse a module whose fingerprint differs. */
  fingerprint: string;
  /** Whether model.relaxed.wasm was written: the same model with fused multiply-adds, for engines with relaxed SIMD. */
  relaxedSimd: boolean;
}

/** wasm32 memory pages (64 KiB each): at most 65536, 4 GiB. */
const PAGE_BYTES = 65536;
const MAX_PAGES = WASM32_MAX_BYTES / PAGE_BYTES;

const memoryLimitLine = `wasm32 addresses at most ${WASM32_MAX_BYTES} bytes (4 GiB)`;

/**
 * Refuses, before anything is lowered (index tables, packed weights), a function that cannot fit in
 * wasm32 whatever the plan: its inputs plus its largest computed value already exceed 4 GiB. Also
 * keeps every tensor within the element limit (the kernels count elements in i32).
 */
function checkSizesBeforeLowering(f: Func): void {
  const inputs = f.args.reduce((a, v) => a + bytesOf(v), 0);
  let largest = 0;
  for (const op of f.ops) {
    if (op.name === 'nn.constant') continue;
    for (const r of op.results) largest = Math.max(largest, bytesOf(r));
  }
  if (inputs + largest > WASM32_MAX_BYTES) {
    throw new LimitError(`wasm target: the model needs at least ${formatBytes(inputs + largest)} of memory (inputs ${formatBytes(inputs)}, activations at least ${formatBytes(largest)}, its largest computed tensor); ${memoryLimitLine}`);
  }
  for (const v of [...f.args, ...f.ops.flatMap((o) => o.results)]) {
    const n = (v.type.shape as number[]).reduce((a, b) => a * b, 1);
    if (n > MAX_TENSOR_ELEMENTS) {
      const where = v.definingOp ? describe(v.definingOp) : `input ${v.name ?? ''}`.trim();
      throw new LimitError(`wasm target: ${where} has ${n} elements (${v.type}), over the limit of ${MAX_TENSOR_ELEMENTS} elements per tensor`);
    }
  }
}

/**
 * binaryen reports C++ exceptions as plain objects (no message; the CLI used to print
 * "[object Object]"): turn them into a readable error. Running out of memory while building a
 * module with large data segments (binaryen.js builds in its own wasm32 memory) is a limit, not a bug.
 */
export function binaryenError(e: unknown, weightBytes = 0): Error {
  if (e instanceof Error) return e;
  let what = String(e);
  try {
    const m = (binaryen as unknown as { getExceptionMessage?: (x: unknown) => [string, string] | string }).getExceptionMessage?.(e);
    if (m) what = Array.isArray(m) ? [...new Set(m.filter(Boolean))].join(': ') : String(m);
  } catch {
    // keep String(e)
  }
  if (what.includes('bad_alloc')) {
    return new LimitError(`wasm target: binaryen ran out of memory building the module, whose data segments hold ${formatBytes(weightBytes)} of weights and tables (binaryen.js builds modules in its own wasm32 memory); make the constants smaller, or feed the largest as inputs`);
  }
  return new WasmCompileError(`wasm target: internal: binaryen failed while building the module: ${what}`);
}

/** Ops rendered as one generic kernel each (src/lower/kernels/generic.ts), by op name. */
const GENERIC_LOWERINGS: Record<string, Lowering> = { ...ELEMENTWISE_LOWERINGS, ...MOVEMENT_LOWERINGS, ...REDUCE_LOWERINGS };

/** What the kernel table may choose for this target. */
export const WASM_CAPS: TargetCaps = { name: 'wasm', lanes: 4, f64: true, genericOps: new Set(Object.keys(GENERIC_LOWERINGS)), kernels: new Set([...Object.keys(PRODUCT_RENDERS), ...Object.keys(CONV_RENDERS)]) };

/** How each kernel of the plan becomes wasm, by kernel name. */
const RENDERS: Record<string, Render> = {
  ...PRODUCT_RENDERS, ...CONV_RENDERS,
  ...Object.fromEntries(Object.entries(GENERIC_LOWERINGS).map(([op, lower]) => [genericKernelName(op), ((pc, lc) => lower(pc.op, lc)) as Render])),
};

/** Ops the wasm target compiles. */
export const SUPPORTED_WASM_OPS: readonly string[] = [...new Set([...KERNELS.flatMap((k) => k.ops), ...Object.keys(GENERIC_LOWERINGS)])].sort();
const SUPPORTED = new Set(SUPPORTED_WASM_OPS);

export interface CompileOptions {
  /** Export each step as `step<i>` (in manifest.kernels order) so a profiler can time them. */
  exportSteps?: boolean;
  /** Also emit the relaxed-SIMD variant (fused multiply-adds) when a kernel uses it (default true). */
  relaxedSimd?: boolean;
}

/** Legalises, selects and renders: the module and manifest for a function. */
export function compileWasm(f: Func, options: CompileOptions = {}): { wasm: Uint8Array; relaxedWasm?: Uint8Array; manifest: Manifest } {
  return renderWasm(planWasm(f), options);
}

/** The kernel plan of a function for this target, after checking what it cannot take at all. */
export function planWasm(f: Func): KernelPlan {
  checkTypes(f);
  return planFor(f, WASM_CAPS);
}

/** Element types and static shapes, checked before anything is legalised or selected. */
function checkTypes(f: Func): void {
  for (const v of [...f.args, ...f.ops.flatMap((o) => o.results)]) {
    const where = v.definingOp ? describe(v.definingOp) : `input ${v.name ?? ''}`.trim();
    if (!isWasmType(v.type.elementType)) throw new WasmCompileError(`wasm target: ${where} has element type ${v.type.elementType}, which the wasm target does not support (${Object.keys(DTYPE_NAMES).join(', ')})`);
    if (!v.type.shape.every((d) => typeof d === 'number')) throw new WasmCompileError(`wasm target: shapes must be static (give --shape for named dims); ${where} has ${v.type}`);
  }
  checkSizesBeforeLowering(f);
  for (const op of f.ops) {
    if (op.name !== 'nn.constant' && op.name !== 'return' && !SUPPORTED.has(op.name)) throw new WasmCompileError(`wasm target: ${describe(op)} is not supported yet (\`sparsec compile --help\` and docs/wasm.md list the ${SUPPORTED_WASM_OPS.length} supported ops)`);
  }
}

/** Renders a kernel plan (selected for WASM_CAPS) as one module with its memory plan. */
export function renderWasm(kernels: KernelPlan, options: CompileOptions = {}): { wasm: Uint8Array; relaxedWasm?: Uint8Array; manifest: Manifest } {
  const f = kernels.func;
  const lc = new LowerContext(f);
  for (const pc of kernels.calls) {
    const render = RENDERS[pc.call.kernel];
    if (!render) throw new WasmCompileError(`wasm target: internal: no render for kernel ${pc.call.kernel}`);
    render(pc, lc);
  }
  // Constant operands (and returned constants) are read from their data: place them before the plan.
  // (An operand one step of an op packed is never read raw by its other steps, e.g. an epilogue map.)
  const packed = new Set(lc.steps.flatMap((s) => s.packed ?? []));
  for (const s of lc.steps) for (const v of s.op.operands) if (!packed.has(v)) lc.constAddr(v);
  for (const v of f.returnValues) lc.constAddr(v);
  lc.freeze();
  const weightBytes = lc.top - 16;
  const plan = planMemory(f, kernels.calls, lc.top, (v) => lc.isConstant(v));
  if (plan.top > WASM32_MAX_BYTES) {
    const parts = `weights ${formatBytes(weightBytes)}, inputs ${formatBytes(plan.arenaStart - lc.top)}, activations ${formatBytes(plan.arenaEnd - plan.arenaStart)}, scratch ${formatBytes(plan.top - plan.scratch)}`;
    throw new LimitError(`wasm target: the model needs ${formatBytes(plan.top)} of memory (${parts}); ${memoryLimitLine}`);
  }
  // One page of headroom past the plan while it fits.
  const pages = Math.min(MAX_PAGES, Math.ceil(plan.top / PAGE_BYTES) + 1);
  const addr = (v: Value): number => {
    // A value of zero bytes has no storage (no step writes it): any in-bounds address serves.
    const o = plan.offsets.get(v) ?? lc.constAddr(v) ?? (bytesOf(v) === 0 ? 16 : undefined);
    if (o === undefined) throw new WasmCompileError(`wasm target: internal: no address for a value of ${v.definingOp?.name ?? 'an input'}`);
    return o;
  };
  const emit = (relaxed: boolean) => emitModule(lc, { pages, scratch: plan.scratch, addr, exportSteps: options.exportSteps === true, relaxed, weightBytes });
  const simd = emit(false), code = simd.code;
  // The relaxed-SIMD variant, when asked for and when some kernel has a multiply-add it fuses.
  const relaxed = options.relaxedSimd === false || !simd.used ? undefined : emit(true);
  const slot = (v: Value, name: string): TensorSlot => ({ name, shape: v.type.shape as number[], dtype: DTYPE_NAMES[v.type.elementType as keyof typeof DTYPE_NAMES], offset: addr(v) });
  const nameOf = (attrs: ReadonlyMap<string, { kind: string; value?: unknown }> | undefined, i: number, what: string) => {
    const n = attrs?.get('name');
    return n?.kind === 'string' ? String(n.value) : `${what}_${i}`;
  };
  const inputs = f.args.map((a, i) => slot(a, nameOf(f.argAttrs[i], i, 'input')));
  const outputs = f.returnValues.map((v, i) => slot(v, nameOf(f.resultAttrs[i], i, 'output')));
  const fingerprint = fingerprintOf(code, { inputs, outputs });
  return {
    wasm: appendFingerprint(code, fingerprint),
    ...(relaxed ? { relaxedWasm: appendFingerprint(relaxed.code, fingerprint) } : {}),
    manifest: {
      inputs,
      outputs,
      memoryBytes: pages * PAGE_BYTES,
      arenaBytes: plan.arenaEnd - plan.arenaStart,
      scratchBytes: plan.top - plan.scratch,
      weightBytes,
      inPlace: plan.inPlace,
      kernels: lc.steps.map((s) => ({ op: s.op.name, ...(s.op.loc ? { loc: s.op.loc } : {}), kernel: s.kernel, format: s.format, ...(s.schedule ? { schedule: s.schedule } : {}) })),
      plan: planData(kernels),
      fingerprint,
      relaxedSimd: relaxed !== undefined,
    },
  };
}

/** One module for the lowered steps: SIMD128, or the relaxed-SIMD variant (fused multiply-adds). */
function emitModule(lc: LowerContext, o: { pages: number; scratch: number; addr: (v: Value) => number; exportSteps: boolean; relaxed: boolean; weightBytes: number }): { code: Uint8Array; used: boolean } {
  const { pages, addr } = o;
  const mod = new binaryen.Module();
  try {
    mod.setFeatures(binaryen.Features.SIMD128 | binaryen.Features.BulkMemory | binaryen.Features.BulkMemoryOpt | binaryen.Features.MutableGlobals | binaryen.Features.NontrappingFPToInt);
    if (o.relaxed) useRelaxedSimd(mod);
    declareHostMath(mod);
    mod.setMemory(pages, pages, 'memory', lc.segments.map((s) => ({ offset: mod.i32.const(s.offset), data: s.data, passive: false })));
    const calls: number[] = [];
    lc.steps.forEach((s, i) => {
      const own = s.emit(mod, `k${i}`, addr, o.scratch) ?? [mod.call(`k${i}`, [], none)];
      if (!o.exportSteps) {
        calls.push(...own);
        return;
      }
      mod.addFunction(`step${i}`, none, none, [], mod.block(null, own));
      mod.addFunctionExport(`step${i}`, `step${i}`);
      calls.push(mod.call(`step${i}`, [], none));
    });
    mod.addFunction('run', none, none, [], mod.block(null, calls));
    mod.addFunctionExport('run', 'run');
    if (!mod.validate()) throw new WasmCompileError('wasm target: internal: the generated module does not validate');
    optimizeModule(mod);
    return { code: mod.emitBinary().slice(), used: usedRelaxedSimd(mod) }; // a copy: the view points into binaryen's heap, freed by dispose()
  } catch (e) {
    throw binaryenError(e, o.weightBytes);
  } finally {
    mod.dispose();
  }
}
