// The kernel table: every kernel kind with a choice to make, in preference order per op (selection
// takes the first that applies unless a chooser picks another). Ops not listed here run as generic
// kernels (generic.ts).
import type { KernelDef } from '../table.js';
import { CONV_KERNELS } from './conv.js';
import { PRODUCT_KERNELS } from './matmul.js';
import { GRID_KERNELS } from './grid.js';

export const KERNELS: readonly KernelDef[] = [...PRODUCT_KERNELS, ...CONV_KERNELS, ...GRID_KERNELS];

/** Entries by op name, in table order. */
export const KERNELS_BY_OP: ReadonlyMap<string, readonly KernelDef[]> = (() => {
  const m = new Map<string, KernelDef[]>();
  for (const k of KERNELS) for (const o of k.ops) m.set(o, [...(m.get(o) ?? []), k]);
  return m;
})();

export function kernelDef(name: string): KernelDef | undefined {
  return KERNELS.find((k) => k.name === name);
}
