// The WebGPU target: a kernel plan rendered as WGSL compute shaders, one per kernel call (identical
// ones shared), dispatched in plan order over two storage buffers: `mem` (inputs, the activation
// arena from the memory plan, scratch) and `wts` (constants and packed weights, weights.bin).
import type { Func, Value } from '../../src/ir/core.js';
import type { TargetCaps } from '../../src/lower/caps.js';
import { planFor } from '../../src/lower/lower.js';
import { planMemory } from '../../src/lower/memory.js';
import { planData, type KernelCall, type KernelPlan, type PlannedCall } from '../../src/lower/plan.js';
import { genericKernelName } from '../../src/lower/kernels/generic.js';
import { constData } from '../../src/pass/helpers.js';
import { DTYPE_NAMES, type DtypeName } from '../wasm/dtype.js';
import { describe, sizeOf, WgslCompileError, WgslContext, type Dispatch } from './context.js';
import { ELEMENTWISE, type WgslRender } from './kernels/elementwise.js';
import { CONV_RENDERS } from './kernels/conv.js';
import { PRODUCT_RENDERS } from './kernels/product.js';
import { MOVEMENT } from './kernels/movement.js';
import { REDUCE } from './kernels/reduce.js';
import { gpuType } from './wgsl.js';

export { WgslCompileError };

const GENERIC: Record<string, WgslRender> = { ...ELEMENTWISE, ...MOVEMENT, ...REDUCE };
const LINEAR_RENDERS = { ...PRODUCT_RENDERS, ...CONV_RENDERS };

export const WEBGPU_CAPS: TargetCaps = { name: 'webgpu', lanes: 4, f64: false, genericOps: new Set(Object.keys(GENERIC)), kernels: new Set(Object.keys(LINEAR_RENDERS)) };

/** Ops the WebGPU target compiles. */
export const SUPPORTED_WEBGPU_OPS: readonly string[] = [...new Set([...Object.keys(GENERIC), 'nn.gemm', 'sparse.gemm', 'nn.matmul', 'sparse.matmul', 'nn.conv', 'sparse.conv', 'nn.conv_transpose'])].sort();
const SUPPORTED = new Set(SUPPORTED_WEBGPU_OPS);

/** Results of these are computed at compile time (they depend on shapes only). */
const STATIC_OPS = new Set(['nn.shape', 'nn.size', 'nn.constant_of_shape']);

export interface TensorSlot {
  readonly name: string;
  readonly shape: number[];
  readonly dtype: DtypeName;
  /** The buffer and element offset of its 32-bit elements. */
  readonly buf: 'mem' | 'wts';
  readonly offset: number;
}

export interface WebGpuManifest {
  readonly target: 'webgpu';
  readonly inputs: TensorSlot[];
  readonly outputs: TensorSlot[];
  /** Bytes of the activation buffer and of weights.bin. */
  readonly memBytes: number;
  readonly weightBytes: number;
  readonly dispatches: Dispatch[];
  readonly shaders: number;
  readonly kernels: { op: string; loc?: string; kernel: string; format: string; schedule?: Record<string, number | string> }[];
  readonly plan: { target: string; calls: KernelCall[] };
}

/** Element types and static shapes, checked before anything is legalised or selected. */
function checkTypes(f: Func): void {
  for (const v of [...f.args, ...f.ops.flatMap((o) => o.results)]) {
    const where = v.definingOp ? describe(v.definingOp) : `input ${v.name ?? ''}`.trim();
    const g = gpuType(v.type.elementType);
    if ('why' in g) throw new WgslCompileError(`webgpu target: ${where} has element type ${v.type.elementType}: ${g.why}`);
    if (!v.type.shape.every((d) => typeof d === 'number')) throw new WgslCompileError(`webgpu target: shapes must be static (give --shape for named dims); ${where} has ${v.type}`);
  }
  for (const op of f.ops) {
    if (op.name !== 'nn.constant' && op.name !== 'return' && !SUPPORTED.has(op.name)) throw new WgslCompileError(`webgpu target: ${describe(op)} is not supported yet (docs/webgpu.md lists the ${SUPPORTED_WEBGPU_OPS.length} supported ops)`);
  }
}

export function planWebGpu(f: Func): KernelPlan {
  checkTypes(f);
  return planFor(f, WEBGPU_CAPS);
}

const isConstValue = (v: Value): boolean => constData(v) !== undefined || (v.definingOp !== undefined && STATIC_OPS.has(v.definingOp.name));

/** Renders a plan: the shaders, the dispatches, the weight buffer and the manifest. */
export function renderWebGpu(plan: KernelPlan): { wgsl: string; weights: Uint8Array; manifest: WebGpuManifest } {
  const f = plan.func;
  // every element is 4 bytes on the GPU
  const mem = planMemory(f, plan.calls, 0, isConstValue, (v) => 4 * sizeOf(v));
  const words = new Map([...mem.offsets].map(([v, b]) => [v, b / 4]));
  const cx = new WgslContext(words, mem.scratch / 4);
  for (const pc of plan.calls) render(pc, cx);
  const slot = (v: Value, name: string): TensorSlot => {
    const r = cx.ref(v, f.ops.find((o) => o.results.includes(v)) ?? f.ops[0]!);
    return { name, shape: v.type.shape as number[], dtype: DTYPE_NAMES[v.type.elementType as keyof typeof DTYPE_NAMES], buf: r.buf, offset: r.off };
  };
  const nameOf = (attrs: ReadonlyMap<string, { kind: string; value?: unknown }> | undefined, i: number, what: string) => {
    const n = attrs?.get('name');
    return n?.kind === 'string' ? String(n.value) : `${what}_${i}`;
  };
  // (an output may be a constant: placed in the weight buffer here, before it is taken)
  const inputs = f.args.map((a, i) => slot(a, nameOf(f.argAttrs[i], i, 'input')));
  const outputs = f.returnValues.map((v, i) => slot(v, nameOf(f.resultAttrs[i], i, 'output')));
  const weights = cx.weights();
  const manifest: WebGpuManifest = {
    target: 'webgpu', inputs, outputs,
    memBytes: Math.max(16, mem.top), weightBytes: weights.byteLength,
    dispatches: cx.dispatches, shaders: cx.shaders.length,
    kernels: plan.calls.map((pc) => ({ op: pc.op.name, ...(pc.op.loc ? { loc: pc.op.loc } : {}), kernel: pc.call.kernel, format: pc.call.format.kind, schedule: pc.call.schedule as Record<string, number | string> })),
    plan: planData(plan),
  };
  const wgsl = cx.shaders.map((s, i) => `//! shader ${i}\n${s}\n`).join('\n');
  return { wgsl, weights, manifest };
}

function render(pc: PlannedCall, cx: WgslContext): void {
  const linear = LINEAR_RENDERS[pc.call.kernel];
  if (linear) return linear(pc, cx);
  const g = GENERIC[pc.op.name];
  if (!g || genericKernelName(pc.op.name) !== pc.call.kernel) throw new WgslCompileError(`webgpu target: internal: no render for kernel ${pc.call.kernel}`);
  g(pc.op, cx);
}
