// The static memory plan of every target: inputs first, then one activation arena packed first-fit
// by liveness (a result may take the slot of an element-wise operand it replaces), then the shared
// scratch region. No allocation happens at run time.
import type { Func, Value } from '../ir/core.js';
import type { PlannedCall } from './plan.js';

/** Rounds up to a multiple of 16 bytes. */
export const align16 = (n: number): number => Math.ceil(n / 16) * 16;

export interface MemoryPlan {
  offsets: Map<Value, number>;
  arenaStart: number;
  arenaEnd: number;
  scratch: number;
  top: number;
  /** Results that took their operand's slot. */
  inPlace: number;
}

/**
 * Places every value the kernel calls compute, in call order, with the scratch and in-place candidates
 * the plan gives; `bytesOf` is the target's size of a value (slots are aligned to 16 bytes).
 */
export function planMemory(f: Func, calls: readonly PlannedCall[], start: number, isConst: (v: Value) => boolean, bytesOf: (v: Value) => number): MemoryPlan {
  const offsets = new Map<Value, number>();
  let top = start;
  for (const a of f.args) {
    offsets.set(a, top);
    top = align16(top + bytesOf(a));
  }
  const arenaStart = top;
  const lastUse = new Map<Value, number>();
  calls.forEach((s, i) => s.op.operands.forEach((v) => lastUse.set(v, i)));
  const returned = new Set(f.returnValues);
  for (const v of returned) lastUse.set(v, Infinity);
  const inArena = (v: Value) => offsets.has(v) && !f.args.includes(v) && !isConst(v);
  const free: { off: number; size: number }[] = [];
  let arenaTop = arenaStart, inPlace = 0;
  const taken = new Set<Value>(); // operands whose slot a result took
  calls.forEach((s, i) => {
    for (const r of s.op.results) {
      if (offsets.has(r)) continue;
      const size = align16(bytesOf(r));
      const v = s.call.inPlace === undefined ? undefined : s.op.operands[s.call.inPlace];
      if (v && lastUse.get(v) === i && inArena(v) && !returned.has(v) && !taken.has(v) && align16(bytesOf(v)) === size && s.op.results.length === 1) {
        offsets.set(r, offsets.get(v)!);
        taken.add(v);
        inPlace++;
        continue;
      }
      const k = free.findIndex((b) => b.size >= size);
      let off: number;
      if (k >= 0) {
        off = free[k]!.off;
        if (free[k]!.size > size) free[k] = { off: off + size, size: free[k]!.size - size };
        else free.splice(k, 1);
      } else {
        off = arenaTop;
        arenaTop += size;
      }
      offsets.set(r, off);
    }
    // Operands whose last use this is go back to the free list (after the step's results are placed).
    for (const v of new Set(s.op.operands)) {
      if (lastUse.get(v) === i && inArena(v) && !taken.has(v)) free.push({ off: offsets.get(v)!, size: align16(bytesOf(v)) });
    }
  });
  const arenaEnd = align16(arenaTop);
  const scratch = arenaEnd;
  top = align16(scratch + Math.max(0, ...calls.map((s) => s.call.scratchBytes)));
  return { offsets, arenaStart, arenaEnd, scratch, top, inPlace };
}
