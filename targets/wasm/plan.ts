// The wasm target's memory plan: src/lower/memory.ts with the wasm sizes of values (inputs after the
// data region).
import type { Func, Value } from '../../src/ir/core.js';
import { elemBytes } from './dtype.js';
import type { PlannedCall } from '../../src/lower/plan.js';
import { planMemory as plan, type MemoryPlan } from '../../src/lower/memory.js';

export type { MemoryPlan };

export const bytesOf = (v: Value): number => elemBytes(v.type.elementType) * (v.type.shape as number[]).reduce((a, b) => a * b, 1);

/** Places every value the kernel calls compute (see src/lower/memory.ts). */
export const planMemory = (f: Func, calls: readonly PlannedCall[], start: number, isConst: (v: Value) => boolean): MemoryPlan => plan(f, calls, start, isConst, bytesOf);
