// What a target can run, as the kernel table sees it: selection reads these, never a target's name.
// Only what selection reads today is here; a target that needs more (workgroup limits, f16) adds the
// field together with the kernel entries that read it.
export interface TargetCaps {
  /** The target's name (recorded in the plan). */
  readonly name: string;
  /** f32 values per vector (4 for wasm SIMD128 and WGSL vec4): kernels whose layout interleaves four outputs need 4. */
  readonly lanes: number;
  /** Whether it computes in f64 (the typed kernels sum in f64; WGSL has no f64). */
  readonly f64: boolean;
  /** Ops it renders with a generic kernel (one kernel per op kind; see src/lower/generic.ts). */
  readonly genericOps: ReadonlySet<string>;
  /** The kernel table's entries it renders, by name: selection takes no other (a kernel's layout may suit one target only). */
  readonly kernels: ReadonlySet<string>;
}
