// What a sensitivity sweep found (report.json), the page that shows it (report.html: one file, inline
// SVG and CSS, nothing loaded from anywhere), and the per-layer profile `sparsec prune --schedule`
// reads (profile.json).
import { escapeXml as esc, lineChart, type Series } from './svg.js';

export interface Point {
  readonly sparsity: number;
  readonly metric: number;
  readonly agreement: number;
  readonly error: number;
  /** Per layer: the layer's kernel time; whole model: the end-to-end time (ms, batch of the latency shapes). */
  readonly ms?: number;
  /** The time's noise (1.4826 x the median absolute deviation of its samples, ms), when measured. */
  readonly noise?: number;
}

export interface LayerCurve {
  readonly layer: string;
  readonly kind: string;
  readonly weight: string;
  readonly shape: readonly number[];
  readonly weights: number;
  /** The share of its weights already zero in the model. */
  readonly initialSparsity: number;
  /** The ladder, from 0 (the layer as it is). */
  readonly points: readonly Point[];
}

export interface ModelCurve {
  readonly scope: 'global' | 'layer';
  readonly points: readonly Point[];
}

/** The per-layer allocation over the measured curves (see allocate.ts), as measured. */
export interface Allocation {
  readonly profile: Readonly<Record<string, number>>;
  /** What the per-layer curves predicted (drops added up). */
  readonly predictedDrop: number;
  readonly predictedSavedMs: number;
  /** Steps taken back because the profile as a whole measured over the limit. */
  readonly stepsBack: number;
  /** Measured with the whole profile applied. */
  readonly metric: number;
  readonly drop: number;
  readonly ms?: number;
}

export interface Recommendation {
  readonly maxDrop: number;
  /** Where the profile comes from: the per-layer allocation, or a whole-model point within the drop that measured faster. */
  readonly source: string;
  /** The sparsity per layer. */
  readonly profile: Readonly<Record<string, number>>;
  /** Measured on the data with the whole profile applied. */
  readonly metric: number;
  readonly agreement: number;
  readonly error: number;
  readonly drop: number;
  /** End-to-end time with the profile, and the unpruned model's over it (when the target gives times). */
  readonly ms?: number;
  readonly speedup?: number;
  readonly allocation: Allocation;
}

export interface SensitivityReport {
  readonly model: string;
  readonly target: string;
  readonly latency: 'measured' | 'cost model';
  readonly metric: 'top-1 accuracy' | 'top-1 agreement';
  /** Rows of data scored. */
  readonly rows: number;
  readonly ladder: readonly number[];
  readonly base: { readonly metric: number; readonly ms?: number };
  readonly layers: readonly LayerCurve[];
  readonly curves: readonly ModelCurve[];
  readonly recommendation?: Recommendation;
  readonly seconds: number;
}

/** profile.json: what `sparsec prune --schedule` reads ("layers"), and where it came from. */
export function profileJson(r: SensitivityReport): string | undefined {
  const rec = r.recommendation;
  if (!rec) return undefined;
  return JSON.stringify({
    layers: rec.profile,
    about: { model: r.model, target: r.target, metric: r.metric, maxDrop: rec.maxDrop, source: rec.source, base: r.base.metric, measured: rec.metric, drop: rec.drop, baseMs: r.base.ms, ms: rec.ms, speedup: rec.speedup },
  }, null, 2) + '\n';
}

const pct = (v: number, digits = 1) => `${(100 * v).toFixed(digits)}%`;
const ms = (v: number | undefined) => v === undefined ? 'no time' : (v >= 10 ? v.toFixed(1) : v >= 1 ? v.toFixed(2) : v.toFixed(4)) + ' ms';

function charts(r: SensitivityReport): string[] {
  const metricAxis = { label: r.metric, format: (v: number) => pct(v, 0) };
  const sparsityAxis = { label: 'sparsity of the layer', format: (v: number) => pct(v, 0), from0: true };
  const layerSeries = (y: (p: Point) => number | undefined): Series[] => r.layers.map((l) => ({
    name: l.layer,
    points: l.points.flatMap((p) => { const v = y(p); return v === undefined ? [] : [[p.sparsity, v, `${pct(p.sparsity, 0)}: ${pct(p.metric)}${p.ms !== undefined ? `, ${ms(p.ms)}` : ''}`] as const]; }),
  }));
  const out = [
    lineChart({ title: `Each layer pruned alone: ${r.metric}`, x: sparsityAxis, y: metricAxis, series: layerSeries((p) => p.metric) }),
    lineChart({ title: `Each layer pruned alone: its kernel time (${r.latency}, ${r.target})`, x: sparsityAxis, y: { label: 'ms', format: (v) => ms(v).replace(' ms', ''), from0: true }, series: layerSeries((p) => p.ms) }),
  ];
  const curve = (c: ModelCurve): Series => ({
    name: c.scope === 'global' ? 'global magnitude (one threshold)' : 'layer-wise magnitude (same fraction per layer)',
    dashed: c.scope === 'layer',
    points: [...(r.base.ms !== undefined ? [[r.base.ms, r.base.metric, `dense: ${pct(r.base.metric)}, ${ms(r.base.ms)}`] as const] : []), ...c.points.flatMap((p) => (p.ms === undefined ? [] : [[p.ms, p.metric, `${pct(p.sparsity, 0)}: ${pct(p.metric)}, ${ms(p.ms)}`] as const]))],
  });
  const rec = r.recommendation;
  out.push(lineChart({
    title: `Whole model: ${r.metric} against end-to-end time (${r.latency}, ${r.target})`,
    x: { label: 'ms per run', format: (v) => ms(v).replace(' ms', ''), from0: true },
    y: metricAxis,
    series: r.curves.map(curve),
    marks: [
      ...(r.base.ms !== undefined ? [{ name: 'unpruned', x: r.base.ms, y: r.base.metric, shape: 'square' as const }] : []),
      ...(rec?.ms !== undefined ? [{ name: `recommended profile (max drop ${pct(rec.maxDrop)})`, x: rec.ms, y: rec.metric, shape: 'diamond' as const }] : []),
    ],
  }));
  return out;
}

function layerTable(r: SensitivityReport): string {
  const head = `<tr><th>layer</th><th>kind</th><th>weights</th>${r.ladder.map((s) => `<th>${pct(s, 0)}</th>`).join('')}</tr>`;
  const rows = r.layers.map((l) => `<tr><td>${esc(l.layer)}</td><td>${esc(l.kind)}</td><td class="n">${l.shape.join('x')}${l.initialSparsity > 0 ? ` (${pct(l.initialSparsity)} zero)` : ''}</td>${l.points.map((p) => `<td class="n">${pct(p.metric)}${p.ms !== undefined ? `<br><small>${ms(p.ms)}</small>` : ''}</td>`).join('')}</tr>`);
  const curves = r.curves.map((c) => `<tr><td>${c.scope === 'global' ? 'whole model, global' : 'whole model, layer-wise'}</td><td></td><td></td><td class="n">${pct(r.base.metric)}<br><small>${ms(r.base.ms)}</small></td>${c.points.map((p) => `<td class="n">${pct(p.metric)}${p.ms !== undefined ? `<br><small>${ms(p.ms)}</small>` : ''}</td>`).join('')}</tr>`);
  return `<table><thead>${head}</thead><tbody>${rows.join('')}${curves.join('')}</tbody></table>`;
}

/** The point of a curve nearest a sparsity (a global threshold's per-layer sparsities fall between the ladder's). */
const nearest = (points: readonly Point[], s: number): Point | undefined => [...points].sort((a, b) => Math.abs(a.sparsity - s) - Math.abs(b.sparsity - s))[0];

function recommendation(r: SensitivityReport): string {
  const rec = r.recommendation;
  if (!rec) return '<p>No profile was asked for: <code>--max-drop 1%</code> writes the per-layer sparsities with the most measured speed within that drop.</p>';
  const rows = r.layers.map((l) => {
    const s = rec.profile[l.layer] ?? 0, p = nearest(l.points, s);
    return `<tr><td>${esc(l.layer)}</td><td class="n">${pct(s, 1)}</td><td class="n">${p?.ms !== undefined && l.points[0]!.ms !== undefined ? `${ms(l.points[0]!.ms)} → ${ms(p.ms)}` : ''}</td><td class="n">${p ? pct(r.base.metric - p.metric) : ''}</td></tr>`;
  });
  const a = rec.allocation;
  return `<p class="headline">Within a drop of ${pct(rec.maxDrop)}: <b>${pct(rec.metric)}</b> ${esc(r.metric)} (unpruned ${pct(r.base.metric)}), ${rec.speedup !== undefined ? `<b>${ms(rec.ms)}</b> a run against ${ms(r.base.ms)}: <b>${rec.speedup.toFixed(2)}x</b>` : 'no end-to-end time on this target'}; from the ${esc(rec.source)}.</p>
<p>The per-layer allocation (the most kernel time saved per point lost, over the curves below) predicted a drop of ${pct(a.predictedDrop)} and measured ${pct(a.drop)} as a whole${a.stepsBack ? `, after ${a.stepsBack} step(s) were taken back because it measured over the limit` : ''}${a.ms !== undefined ? `, ${ms(a.ms)} a run` : ''}.${rec.source === 'per-layer allocation' ? '' : ' A whole-model point within the drop measured faster, so it is the profile.'} Written to <code>profile.json</code>: <code>sparsec prune ${esc(r.model)} --schedule profile.json -o pruned.onnx</code>.</p>
<table><thead><tr><th>layer</th><th>sparsity</th><th>kernel time (nearest point of its curve)</th><th>drop alone</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

const STYLE = `body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:1340px;padding:0 1em;color:#222}
h1{font-size:1.5em}h2{font-size:1.15em;margin-top:1.6em}.charts{display:flex;flex-wrap:wrap;gap:12px}
figure{margin:0;border:1px solid #ddd;border-radius:6px;padding:6px;background:#fff}
svg text{font-size:11px;fill:#333}svg .title{font-size:13px;font-weight:600}svg .axis{font-size:12px}
svg .grid{stroke:#eee}svg .frame{fill:none;stroke:#999}.mark{fill:#000}.mark-diamond{fill:#e6a700;stroke:#000}
.legend span{display:inline-block;margin-right:12px;font-size:12px}.legend i{display:inline-block;width:12px;height:12px;margin-right:4px;vertical-align:-1px;background:#000}
.legend i.mark-diamond{background:#e6a700;transform:rotate(45deg) scale(.8)}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ddd;padding:3px 8px}td.n{text-align:right;font-variant-numeric:tabular-nums}
small{color:#666}.headline{font-size:1.1em}code{background:#f4f4f4;padding:1px 4px;border-radius:3px}`;

export function renderHtml(r: SensitivityReport): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>sparsec sensitivity: ${esc(r.model)}</title>
<style>${STYLE}</style></head><body>
<h1>Pruning sensitivity of ${esc(r.model)}</h1>
<p>${esc(r.metric)} on ${r.rows} rows of data: <b>${pct(r.base.metric)}</b> unpruned; ${ms(r.base.ms)} a run on the ${esc(r.target)} target (${r.latency === 'measured' ? 'measured' : 'estimated by the cost model'}). Each layer was pruned alone by magnitude at ${r.ladder.filter((s) => s > 0).map((s) => pct(s, 0)).join(', ')}; the whole model by one global threshold and by the same fraction per layer. ${r.layers.length} layers, ${r.seconds.toFixed(0)} s.</p>
<h2>Recommended profile</h2>
${recommendation(r)}
<h2>Curves</h2>
<div class="charts">${charts(r).join('\n')}</div>
<h2>The numbers</h2>
<p>${esc(r.metric)}, and below it the time (per layer: its kernels; whole model: a run).</p>
${layerTable(r)}
</body></html>
`;
}
