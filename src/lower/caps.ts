// What a target can run, as the kernel table sees it: selection reads these, never a target's name.
export interface TargetCaps {
  /** The target's name (recorded in the plan). */
  readonly name: string;
  /** f32 values per vector register (4 for wasm SIMD128 and WGSL vec4). */
  readonly lanes: number;
  /** Element types its kernels compute in natively. */
  readonly f16: boolean;
  readonly f64: boolean;
  readonly i64: boolean;
  /** Largest workgroup (invocations) for targets that dispatch workgroups; 1 for a single-threaded target. */
  readonly maxWorkgroupSize: number;
  /** Ops it renders with a generic kernel (one kernel per op kind; see src/lower/generic.ts). */
  readonly genericOps: ReadonlySet<string>;
}
