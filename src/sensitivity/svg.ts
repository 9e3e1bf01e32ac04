// Line charts as static SVG text (no script, no fonts to load): the sensitivity report's plots.

export interface Series {
  readonly name: string;
  /** [x, y, hover text] */
  readonly points: readonly (readonly [number, number, string?])[];
  readonly dashed?: boolean;
}

export interface Mark {
  readonly name: string;
  readonly x: number;
  readonly y: number;
  readonly shape: 'diamond' | 'square';
}

export interface Chart {
  readonly title: string;
  readonly x: { readonly label: string; readonly format: (v: number) => string; readonly from0?: boolean };
  readonly y: { readonly label: string; readonly format: (v: number) => string; readonly from0?: boolean };
  readonly series: readonly Series[];
  readonly marks?: readonly Mark[];
}

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];
export const colorOf = (i: number): string => COLORS[i % COLORS.length]!;

export const escapeXml = (s: string): string => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** About five round tick values covering [lo, hi]. */
export function ticks(lo: number, hi: number): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / 5, mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw)!;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step - 1e-9) * step; v <= hi + 1e-9 * step; v += step) out.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  return out;
}

function extent(values: readonly number[], from0: boolean | undefined): [number, number] {
  let lo = Math.min(...values), hi = Math.max(...values);
  if (from0) lo = Math.min(0, lo);
  if (hi - lo < 1e-12) [lo, hi] = [lo - (Math.abs(lo) || 1) * 0.05, hi + (Math.abs(hi) || 1) * 0.05];
  const pad = (hi - lo) * 0.05;
  return [from0 && lo >= 0 ? lo : lo - pad, hi + pad];
}

const W = 640, H = 360, L = 64, R = 16, T = 36, B = 48;

export function lineChart(c: Chart): string {
  const xs = [...c.series.flatMap((s) => s.points.map((p) => p[0])), ...(c.marks ?? []).map((m) => m.x)];
  const ys = [...c.series.flatMap((s) => s.points.map((p) => p[1])), ...(c.marks ?? []).map((m) => m.y)];
  if (!xs.length) return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="60" role="img"><text x="8" y="30">${escapeXml(c.title)}: no data</text></svg>`;
  const [x0, x1] = extent(xs, c.x.from0), [y0, y1] = extent(ys, c.y.from0);
  const px = (x: number) => (L + ((x - x0) / (x1 - x0)) * (W - L - R)).toFixed(1);
  const py = (y: number) => (H - B - ((y - y0) / (y1 - y0)) * (H - T - B)).toFixed(1);
  const out: string[] = [`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${escapeXml(c.title)}" class="chart">`];
  out.push(`<text x="${W / 2}" y="20" text-anchor="middle" class="title">${escapeXml(c.title)}</text>`);
  for (const t of ticks(x0, x1)) out.push(`<line x1="${px(t)}" x2="${px(t)}" y1="${T}" y2="${H - B}" class="grid"/><text x="${px(t)}" y="${H - B + 16}" text-anchor="middle">${escapeXml(c.x.format(t))}</text>`);
  for (const t of ticks(y0, y1)) out.push(`<line x1="${L}" x2="${W - R}" y1="${py(t)}" y2="${py(t)}" class="grid"/><text x="${L - 6}" y="${py(t)}" dy="4" text-anchor="end">${escapeXml(c.y.format(t))}</text>`);
  out.push(`<rect x="${L}" y="${T}" width="${W - L - R}" height="${H - T - B}" class="frame"/>`);
  out.push(`<text x="${(L + W - R) / 2}" y="${H - 10}" text-anchor="middle" class="axis">${escapeXml(c.x.label)}</text>`);
  out.push(`<text transform="translate(14 ${(T + H - B) / 2}) rotate(-90)" text-anchor="middle" class="axis">${escapeXml(c.y.label)}</text>`);
  c.series.forEach((s, i) => {
    const color = colorOf(i);
    const d = s.points.map((p, k) => `${k ? 'L' : 'M'}${px(p[0])},${py(p[1])}`).join(' ');
    out.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''} class="series"><title>${escapeXml(s.name)}</title></path>`);
    for (const p of s.points) out.push(`<circle cx="${px(p[0])}" cy="${py(p[1])}" r="3.5" fill="${color}"><title>${escapeXml(`${s.name}: ${p[2] ?? `${c.x.format(p[0])}, ${c.y.format(p[1])}`}`)}</title></circle>`);
  });
  for (const m of c.marks ?? []) {
    const [x, y] = [Number(px(m.x)), Number(py(m.y))];
    const shape = m.shape === 'diamond' ? `<path d="M${x},${y - 7} L${x + 7},${y} L${x},${y + 7} L${x - 7},${y} Z"` : `<rect x="${x - 5}" y="${y - 5}" width="10" height="10"`;
    out.push(`${shape} class="mark mark-${m.shape}"><title>${escapeXml(`${m.name}: ${c.x.format(m.x)}, ${c.y.format(m.y)}`)}</title>${m.shape === 'diamond' ? '</path>' : '</rect>'}`);
  }
  out.push('</svg>');
  const legend = [...c.series.map((s, i) => `<span><i style="background:${colorOf(i)}"></i>${escapeXml(s.name)}</span>`), ...(c.marks ?? []).map((m) => `<span><i class="mark-${m.shape}"></i>${escapeXml(m.name)}</span>`)];
  return `<figure>${out.join('')}<figcaption class="legend">${legend.join(' ')}</figcaption></figure>`;
}
