// The packed-panel GEMM's schedule space and layouts, shared by the convolution and product
// kernels that run on it: y[M, N] = A[M, K] @ B[K, N] with B in panels of nr columns and an
// mr x nr register tile. Which operand is the constant depends on the caller (a convolution's
// weight is A, a product's weight is B); the layouts here are what the target's kernel reads.
import type { Choice } from '../plan.js';
import type { Work } from '../table.js';

type Sched = Record<string, number | string | boolean>;

/**
 * Register tiles (rows of A x columns of B), the default first: 4 x 8 keeps 8 accumulators, 2 B
 * vectors and a splat in registers (on x64, V8's 16 SIMD registers; larger tiles measured slower there
 * because they spill, smaller ones serve short operands and other machines).
 */
export const GEMM_TILES: readonly (readonly [number, number])[] = [[4, 8], [2, 8], [4, 4], [6, 8], [4, 12], [2, 16]];

/** Columns of B rounded up to whole panels. */
export const panelColumns = (N: number, nr: number): number => Math.ceil(N / nr) * nr;

/**
 * The GEMM schedules for an M x K x N product: every tile, each with both loop orders. The default
 * order keeps the smaller operand in cache as the inner loop's: 'panels' (each panel of B visited
 * once while all of A passes) when A is the smaller, else 'rows'.
 */
export function gemmSchedules(M: number, K: number, N: number): Sched[] {
  const out: Sched[] = [];
  for (const [mr, nr] of GEMM_TILES) {
    const first = M * K <= K * panelColumns(N, nr) ? 'panels' : 'rows';
    for (const order of [first, first === 'panels' ? 'rows' : 'panels']) out.push({ mr, nr, order, lanes: 'f32x4 over columns of B' });
  }
  return out;
}

export const tileOf = (c: Choice): { mr: number; nr: number; order: 'panels' | 'rows' } =>
  ({ mr: c.schedule['mr'] as number, nr: c.schedule['nr'] as number, order: c.schedule['order'] as 'panels' | 'rows' });

/** B [K, N] (row-major) as panels [ceil(N/nr)][K][nr], zero past N. */
export function packPanels(b: ArrayLike<number>, K: number, N: number, nr: number): Float32Array {
  const np = Math.ceil(N / nr), out = new Float32Array(np * K * nr);
  for (let jp = 0; jp < np; jp++) for (let k = 0; k < K; k++) for (let l = 0; l < nr; l++) {
    const n = jp * nr + l;
    if (n < N) out[(jp * K + k) * nr + l] = b[k * N + n]!;
  }
  return out;
}

/**
 * A [M, K] (row-major) as tiles of mr rows, each [K][mr] (one stream per tile), zero rows past M:
 * row i + r of the tile at i is at i * K + k * mr + r.
 */
export function packTiles(a: ArrayLike<number>, M: number, K: number, mr: number): Float32Array {
  const mp = Math.ceil(M / mr) * mr, out = new Float32Array(mp * K);
  for (let i = 0; i < M; i++) for (let k = 0; k < K; k++) out[(i - (i % mr)) * K + k * mr + (i % mr)] = a[i * K + k]!;
  return out;
}

/** Bytes that stay in a core's caches between passes (a rough L2): bigger operands are read from memory on every pass. */
export const CACHED_BYTES = 1 << 20;
/** Bytes of `bytes` read `passes` times: once while it fits the caches, else every time. */
export const rereads = (bytes: number, passes: number): number => (bytes <= CACHED_BYTES ? bytes : bytes * passes);

/**
 * The panel GEMM's counted work for an M x K x N product: per step of k and tile, nr/4 panel loads,
 * mr splat loads and 2 mr nr/4 multiplies and adds; a tile whose accumulators, panel vectors and
 * splat exceed 12 vector registers spills (measured slower on x64, counted 1.5 times). The inner
 * loop's operand is re-read from memory on every pass when it does not fit the caches.
 */
export function gemmWork(M: number, K: number, N: number, t: { mr: number; nr: number; order: 'panels' | 'rows' }): Work {
  const nv = t.nr / 4, rowTiles = Math.ceil(M / t.mr), panels = Math.ceil(N / t.nr);
  const spill = t.mr * nv + nv + 1 > 12 ? 1.5 : 1;
  const ops = rowTiles * panels * K * (nv + t.mr + 2 * t.mr * nv) * spill;
  const a = 4 * rowTiles * t.mr * K, b = 4 * K * panels * t.nr;
  const bytes = t.order === 'panels' ? b + rereads(a, panels) : a + rereads(b, rowTiles);
  return { bytes, ops };
}
