// The seam between sparsec and a code generator: what every target offers the CLI, the conformance
// runner and the benchmarks. Types only; targets/index.ts loads a target by name, on use.
import type { Func } from '../src/ir/core.js';
import type { TargetCaps } from '../src/lower/caps.js';
import type { KernelPlan } from '../src/lower/plan.js';
import type { Tensor } from '../src/ir/tensor.js';
import type { MachineRates } from '../src/tune/cost.js';

/** One input or output of a compiled model. */
export interface IoInfo {
  readonly name: string;
  readonly shape: readonly number[];
  /** The loader's name of the element type (float32, int8, ...). */
  readonly dtype: string;
}

export interface CompileOptions {
  /** Recorded in the manifest: the model file and the pipeline it went through. */
  readonly source?: string;
  readonly pipeline?: string;
  /** Extra outputs the target can write (wasm: 'wat'). */
  readonly emit?: readonly string[];
  /** Lossy changes the user allowed, each with the error it caused (recorded in the manifest). */
  readonly lossy?: readonly string[];
}

/** One kernel of a compiled model: the op it computes, the kernel, the weight format and the schedule. */
export interface KernelInfo {
  readonly op: string;
  readonly loc?: string;
  readonly kernel: string;
  readonly format: string;
  readonly schedule?: Readonly<Record<string, number | string>>;
}

/** What a compile produces: the files of the output folder (manifest.json among them). */
export interface Artifact {
  readonly files: Readonly<Record<string, Uint8Array | string>>;
  readonly inputs: readonly IoInfo[];
  readonly outputs: readonly IoInfo[];
  /** The kernels it runs, in order (also in manifest.json). */
  readonly kernels: readonly KernelInfo[];
  /** Files an earlier compile into the same folder may have left that this one did not write (an --emit not asked for now). */
  readonly stale: readonly string[];
  /** One line for the user: sizes, kernels, memory. */
  readonly summary: string;
}

/** A compiled model loaded in this process. */
export interface Model {
  readonly inputs: readonly IoInfo[];
  readonly outputs: readonly IoInfo[];
  /** Runs on tensors in input order; every target can (WebGPU only asynchronously). */
  run(inputs: readonly Tensor[]): Promise<Tensor[]>;
  /** The same, synchronously, where the target can (wasm). */
  runSync?(inputs: readonly Tensor[]): Tensor[];
  /**
   * Where runs are asynchronous (WebGPU): a timer of whole runs on these inputs, uploaded once; each
   * call runs the model and resolves to its time in ms (the device's own clock where it has one).
   */
  timer?(inputs: readonly Tensor[]): Promise<() => Promise<number>>;
  /** Per-kernel times on the device (each dispatch alone, medians), where the target measures them. */
  profile?(inputs: readonly Tensor[], reps?: number): Promise<Profile>;
  /** Frees what it holds on a device (WebGPU buffers), where it holds anything. */
  dispose?(): void;
}

export interface Profile {
  /** What timed it: the device's timestamps, or the wall clock around each submit. */
  readonly clock: string;
  readonly runMs: number;
  readonly steps: readonly { readonly label: string; readonly ms: number }[];
}

/** Reads a file of a compile's output by name (from a folder, or from an Artifact in memory); undefined when absent. */
export type FileReader = (name: string) => Uint8Array | string | undefined;

export interface Target {
  readonly name: string;
  /** One line for help. */
  readonly summary: string;
  /** The IR ops it compiles. */
  readonly ops: readonly string[];
  /** The extra outputs `emit` accepts. */
  readonly emits: readonly string[];
  /** What the kernel table may choose for it (lane width, element types, ops with generic kernels). */
  readonly caps: TargetCaps;
  /** Checks what the target cannot take at all (element types, dynamic shapes, unsupported ops, sizes), then legalises and selects. */
  plan(func: Func): KernelPlan;
  /** Renders a plan: the output folder's files (manifest.json with the plan among them). */
  compile(plan: KernelPlan, opts?: CompileOptions): Artifact;
  /** Loads compile output, reading the files it needs by name; a missing or bad file is one clear error. */
  instantiate(read: FileReader): Promise<Model>;
  /** This machine's rates as the target's code sees them, for the cost model (measured once per process). */
  probe?(): Promise<MachineRates>;
  /** What its kernel timings depend on, the tuning database's machine key (default: the CPU, platform and Node). */
  machine?(): Promise<string>;
  /** Whether an error thrown by compile means "not supported here" (an op, a type, a size), as opposed to a bug. */
  isUnsupported(e: unknown): boolean;
  /** Releases what the target holds for this process (WebGPU: its device, which keeps Node running). */
  close?(): Promise<void>;
}
