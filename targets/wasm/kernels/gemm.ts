// The packed-panel GEMM: y[M, N] = act(A[M, K] @ B[K, N] + bias) with B in panels of `nr` columns
// ([ceil(N/nr)][K][nr], zero-padded) and an mr x nr register tile of accumulators. Convolutions use
// it with A = the weight rows and B = the image's columns (packed into panels by im2colPanels), the
// constant-weight products with A = x and B = the weight packed at compile time.
import type { binaryen } from '../emit.js';
import { FnBuilder, i32, madd, v128, type Expr } from '../emit.js';
import { actVec, type Activation } from './activation.js';
import type { ConvGeometry2d } from './conv.js';

export interface PanelGemm {
  /** A's element (i + r, k), for a tile starting at row i, is at a + 4 * (i * aRow + r * aR + k * aK) (plus the first parameter, in bytes). */
  a: number; aRow: number; aR: number; aK: number;
  /** B's panels (plus the second parameter). */
  b: number;
  /** y's element (r, n) is at y + 4 * (r * yRow + n) (plus the third parameter). */
  y: number; yRow: number;
  M: number; K: number; N: number;
  /** Register tile: mr rows of A times nr columns of B (nr a multiple of 4). */
  mr: number; nr: number;
  /** 'panels': each panel of B stays in cache while every row block of A passes; 'rows': the other way. */
  order: 'panels' | 'rows';
  /** Bias per row of y (a convolution's per channel) or per column (a product's, padded to whole panels). */
  biasRow?: number; biasCol?: number;
  act: Activation;
}

/**
 * Emits the GEMM as one function of three byte offsets (A, B, y). The tile's accumulators start at
 * the bias, each step of k loads nr/4 vectors of the panel once for mr rows (each row's A value
 * loaded as a splat) and the tile is stored once; rows past the last whole tile and columns past N
 * in the last panel take specialised copies of the tile code.
 */
export function panelGemm(mod: binaryen.Module, name: string, p: PanelGemm): void {
  const fb = new FnBuilder(mod, [i32, i32, i32]);
  const nv = p.nr / 4;
  const i = fb.local(i32), j = fb.local(i32), k = fb.local(i32), ap = fb.local(i32), bp = fb.local(i32), s = fb.local(v128);
  const bvs = Array.from({ length: nv }, () => fb.local(v128));
  const acc = Array.from({ length: p.mr }, () => Array.from({ length: nv }, () => fb.local(v128)));
  const fullPanels = Math.floor(p.N / p.nr), tailCols = p.N - fullPanels * p.nr;
  const fullRows = p.M - (p.M % p.mr), tailRows = p.M % p.mr;
  const panelBytes = p.K * p.nr * 4;

  /** The tile at row i (rows), panel j, storing `cols` columns. */
  const tile = (rows: number, cols: number): Expr[] => {
    const init = (r: number, v: number): Expr => {
      if (p.biasRow !== undefined) return mod.v128.load32_splat(0, 4, fb.at(fb.c(p.biasRow), fb.add(fb.get(i), fb.c(r))));
      if (p.biasCol !== undefined) return mod.v128.load(16 * v, 4, fb.at(fb.c(p.biasCol), fb.mul(fb.get(j), fb.c(p.nr))));
      return mod.f32x4.splat(mod.f32.const(0));
    };
    // One step of k: the panel's nr/4 vectors, then per row its A value as a splat times each of them.
    // (Unrolling k measured slower here: V8 then runs out of SIMD registers for the 4 x 8 tile.)
    const body = bvs.map((b, v) => fb.set(b, mod.v128.load(16 * v, 16, fb.get(bp))));
    for (let r = 0; r < rows; r++) {
      body.push(fb.set(s, mod.v128.load32_splat(4 * r * p.aR, 4, fb.get(ap))));
      for (let v = 0; v < nv; v++) body.push(fb.set(acc[r]![v]!, madd(mod, fb.get(s, v128), fb.get(bvs[v]!, v128), fb.get(acc[r]![v]!, v128))));
    }
    body.push(fb.set(bp, fb.add(fb.get(bp), fb.c(p.nr * 4))), fb.set(ap, fb.add(fb.get(ap), fb.c(p.aK * 4))));
    const yAt = (r: number) => fb.add(fb.get(2), fb.at(fb.c(p.y), fb.add(fb.mul(fb.add(fb.get(i), fb.c(r)), fb.c(p.yRow)), fb.mul(fb.get(j), fb.c(p.nr)))));
    const stores: Expr[] = [];
    for (let r = 0; r < rows; r++) for (let v = 0; v < nv; v++) {
      const lanes = Math.min(4, cols - 4 * v);
      if (lanes <= 0) continue;
      if (lanes === 4) stores.push(mod.v128.store(16 * v, 4, yAt(r), actVec(mod, p.act, fb.get(acc[r]![v]!, v128))));
      else for (let l = 0; l < lanes; l++) stores.push(mod.f32.store(4 * (4 * v + l), 4, yAt(r), mod.f32x4.extract_lane(actVec(mod, p.act, fb.get(acc[r]![v]!, v128)), l)));
    }
    return [
      ...acc.slice(0, rows).flatMap((row, r) => row.map((a, v) => fb.set(a, init(r, v)))),
      fb.set(ap, fb.add(fb.get(0), fb.at(fb.c(p.a), fb.mul(fb.get(i), fb.c(p.aRow))))),
      fb.set(bp, fb.add(fb.get(1), fb.add(fb.c(p.b), fb.mul(fb.get(j), fb.c(panelBytes))))),
      fb.for(k, fb.c(0), fb.c(p.K), 1, body),
      ...stores,
    ];
  };
  // The row loop over whole tiles then the tail rows, for panel j storing `cols` columns.
  const rowsOf = (cols: number): Expr[] => [
    fb.for(i, fb.c(0), fb.c(fullRows), p.mr, tile(p.mr, cols)),
    ...(tailRows ? [mod.block(null, [fb.set(i, fb.c(fullRows)), ...tile(tailRows, cols)])] : []),
  ];
  // The panel loop over whole panels then the tail panel, for row block i of `rows` rows.
  const panelsOf = (rows: number): Expr[] => [
    fb.for(j, fb.c(0), fb.c(fullPanels), 1, tile(rows, p.nr)),
    ...(tailCols ? [mod.block(null, [fb.set(j, fb.c(fullPanels)), ...tile(rows, tailCols)])] : []),
  ];
  const body = p.order === 'panels'
    ? [fb.for(j, fb.c(0), fb.c(fullPanels), 1, rowsOf(p.nr)), ...(tailCols ? [mod.block(null, [fb.set(j, fb.c(fullPanels)), ...rowsOf(tailCols)])] : [])]
    : [fb.for(i, fb.c(0), fb.c(fullRows), p.mr, panelsOf(p.mr)), ...(tailRows ? [mod.block(null, [fb.set(i, fb.c(fullRows)), ...panelsOf(tailRows)])] : [])];
  fb.finish(name, body);
}

/**
 * im2col of one group of one image into B panels: panel[jp][ck][l] = x[cStart + c, ih, iw] for
 * output position p = jp * nr + l and row ck = (c * kh + i) * kw + j (0 in the padding and past the
 * last position). A 1x1 stride-1 unpadded convolution copies vectors; otherwise each panel's lane
 * coordinates are computed once and every row of the panel selects its nr values.
 */
export function im2colPanels(mod: binaryen.Module, name: string, p: ConvGeometry2d & { x: number; panels: number; cStart: number; cCount: number; nr: number }): void {
  const fb = new FnBuilder(mod, [i32]); // param 0: byte offset of the image
  const P = p.OH * p.OW, CK = p.cCount * p.kh * p.kw, np = Math.ceil(P / p.nr);
  const jp = fb.local(i32), c = fb.local(i32), ki = fb.local(i32), kj = fb.local(i32), dst = fb.local(i32), src = fb.local(i32);
  const xBase = () => fb.add(fb.get(0), fb.c(p.x + 4 * p.cStart * p.H * p.W));
  // 1x1, stride 1, no pads at either end (the output plane is the input plane)
  const pointwise = p.kh === 1 && p.kw === 1 && p.sh === 1 && p.sw === 1 && p.ph === 0 && p.pw === 0 && p.OH === p.H && p.OW === p.W;
  if (pointwise) {
    // x[c, p] is already the column matrix: whole panels copy nr/4 vectors per channel, the last lane by lane.
    const full = Math.floor(P / p.nr), tail = P - full * p.nr;
    const copyPanel = (lanes: number): Expr[] => [
      fb.set(dst, fb.add(fb.c(p.panels), fb.mul(fb.get(jp), fb.c(CK * p.nr * 4)))),
      fb.set(src, fb.add(xBase(), fb.mul(fb.get(jp), fb.c(p.nr * 4)))),
      fb.for(c, fb.c(0), fb.c(p.cCount), 1, [
        ...Array.from({ length: p.nr / 4 }, (_, v) => (lanes >= 4 * v + 4
          ? mod.v128.store(16 * v, 16, fb.get(dst), mod.v128.load(16 * v, 4, fb.get(src)))
          : mod.block(null, Array.from({ length: 4 }, (_, l) => mod.f32.store(4 * (4 * v + l), 4, fb.get(dst), 4 * v + l < lanes ? mod.f32.load(4 * (4 * v + l), 4, fb.get(src)) : mod.f32.const(0)))))),
        fb.set(dst, fb.add(fb.get(dst), fb.c(p.nr * 4))),
        fb.set(src, fb.add(fb.get(src), fb.c(P * 4))),
      ]),
    ];
    fb.finish(name, [fb.for(jp, fb.c(0), fb.c(full), 1, copyPanel(p.nr)), ...(tail ? [mod.block(null, [fb.set(jp, fb.c(full)), ...copyPanel(tail)])] : [])]);
    return;
  }
  // Per lane: the window's top-left input coordinates (a position past P gets one far outside).
  const ih0 = Array.from({ length: p.nr }, () => fb.local(i32)), iw0 = Array.from({ length: p.nr }, () => fb.local(i32));
  const pos = fb.local(i32), ih = fb.local(i32), iw = fb.local(i32), plane = fb.local(i32), ok = fb.local(i32);
  const lanes: Expr[] = [];
  for (let l = 0; l < p.nr; l++) {
    lanes.push(
      fb.set(pos, fb.add(fb.mul(fb.get(jp), fb.c(p.nr)), fb.c(l))),
      fb.set(ih0[l]!, mod.select(mod.i32.lt_u(fb.get(pos), fb.c(P)), mod.i32.sub(fb.mul(mod.i32.div_u(fb.get(pos), fb.c(p.OW)), fb.c(p.sh)), fb.c(p.ph)), fb.c(-(1 << 30)))),
      fb.set(iw0[l]!, mod.i32.sub(fb.mul(mod.i32.rem_u(fb.get(pos), fb.c(p.OW)), fb.c(p.sw)), fb.c(p.pw))),
    );
  }
  const perRow: Expr[] = [];
  for (let l = 0; l < p.nr; l++) {
    perRow.push(
      fb.set(ih, fb.add(fb.get(ih0[l]!), fb.mul(fb.get(ki), fb.c(p.dh)))),
      fb.set(iw, fb.add(fb.get(iw0[l]!), fb.mul(fb.get(kj), fb.c(p.dw)))),
      // branch-free: outside the image the load reads the plane's first value and the select drops it
      fb.set(ok, mod.i32.and(mod.i32.lt_u(fb.get(ih), fb.c(p.H)), mod.i32.lt_u(fb.get(iw), fb.c(p.W)))),
      mod.f32.store(4 * l, 4, fb.get(dst), mod.select(fb.get(ok),
        mod.f32.load(0, 4, fb.at(fb.get(plane), mod.select(fb.get(ok), fb.add(fb.mul(fb.get(ih), fb.c(p.W)), fb.get(iw)), fb.c(0)))),
        mod.f32.const(0))),
    );
  }
  perRow.push(fb.set(dst, fb.add(fb.get(dst), fb.c(p.nr * 4))));
  fb.finish(name, [fb.for(jp, fb.c(0), fb.c(np), 1, [
    ...lanes,
    fb.set(dst, fb.add(fb.c(p.panels), fb.mul(fb.get(jp), fb.c(CK * p.nr * 4)))),
    fb.for(c, fb.c(0), fb.c(p.cCount), 1, [
      fb.set(plane, fb.add(xBase(), fb.mul(fb.get(c), fb.c(p.H * p.W * 4)))),
      fb.for(ki, fb.c(0), fb.c(p.kh), 1, [fb.for(kj, fb.c(0), fb.c(p.kw), 1, perRow)]),
    ]),
  ])]);
}
