// The sensitivity sweep: how much each layer can be pruned, and what that buys on a target.
// - Per layer, for each sparsity of a ladder: that layer alone pruned by magnitude; the metric on the
//   data (the interpreter on the whole batch), and the layer's kernel time (the model compiled at the
//   latency shapes, the layer's kernels isolated and timed side by side, or the cost model's estimate).
// - Whole model: global and layer-wise magnitude pruning at each sparsity; metric and end-to-end time.
// - With a metric drop allowed: the per-layer sparsities with the most measured speed within it
//   (allocate.ts), checked on the data as a whole and stepped back while the measured drop is over.
import { performance } from 'node:perf_hooks';
import prune, { layerMatches, prunableLayers } from '../../passes/prune.js';
import { DEFAULT_COMPILE_PIPELINE } from '../cli/pipelines.js';
import { importOnnxFile, type ImportOptions } from '../importer/import.js';
import { argNames, importForData, nameInputs, orderInputs } from '../importer/specialise.js';
import type { Module } from '../ir/core.js';
import type { Tensor } from '../ir/tensor.js';
import { interpret } from '../interp/interpret.js';
import type { KernelPlan, PlannedCall } from '../lower/plan.js';
import { runPipeline } from '../pass/manager.js';
import { parsePipeline } from '../pass/pipeline.js';
import { passRegistry } from '../pass/registry.js';
import { constData } from '../pass/helpers.js';
import { randomArgs } from '../pass/semantics.js';
import { estimateChoice } from '../tune/cost.js';
import { isolatedPlan } from '../tune/isolate.js';
import { tune } from '../tune/tune.js';
import { runnerOf, timeRunners, type Runner } from '../tune/runner.js';
import type { Model, Target } from '../../targets/target.js';
import { UserError } from '../util/errors.js';
import { allocate, predict, withoutLast } from './allocate.js';
import { reference, score, type EvalData, type Reference, type Score } from './data.js';
import type { Allocation, LayerCurve, ModelCurve, Point, Recommendation, SensitivityReport } from './report.js';

export interface SweepOptions {
  /** The ONNX model. */
  readonly path: string;
  readonly data: EvalData;
  readonly target: Target;
  /** Sparsities tried, ascending, from 0. */
  readonly ladder: readonly number[];
  readonly only?: readonly string[];
  readonly exclude?: readonly string[];
  /** Kernel and model times measured on the target, or estimated by its cost model. */
  readonly latency: 'measured' | 'cost model';
  /** Static shapes the latency is taken at (compiled code needs them; the batch defaults to 1). */
  readonly latencyImport: ImportOptions;
  /** Each compiled model's kernels chosen by the tuner first (what `compile --tune` would run), within this budget per model. */
  readonly tuneBudgetMs?: number;
  /** Largest metric drop allowed for a recommended profile (absolute, 0.01 = 1 point). */
  readonly maxDrop?: number;
  readonly log?: (line: string) => void;
  readonly status?: (line: string) => void;
}

type PruneOptions = Record<string, unknown>;
const quiet = { log: () => undefined };
const alone = (layer: string, s: number): PruneOptions => ({ only: [layer], sparsity: s });
const profileOptions = (p: Readonly<Record<string, number>>): PruneOptions => ({ sparsity: 0, 'per-layer': Object.entries(p).map(([l, s]) => `${l}=${s}`) });

function pruned(module: Module, options: PruneOptions, o: SweepOptions): Module {
  runPipeline(module, [{ pass: prune, options: { only: o.only ?? [], exclude: o.exclude ?? [], ...options } }], quiet);
  return module;
}

/** The calls of the compiled plan that came from a layer (its node name; a layer without one is its weight's name). */
export const callsOf = (plan: KernelPlan, layer: string): PlannedCall[] => plan.calls.filter((pc) => pc.op.loc === layer || (!pc.op.loc && pc.op.operands.some((v) => v.name === layer)));

class Sweep {
  private readonly start = performance.now();
  /** The data, in the order of the model's inputs. */
  private readonly inputs: readonly Tensor[];
  private ref!: Reference;
  private done = 0;
  private readonly models: Model[] = [];

  constructor(private readonly o: SweepOptions, private readonly total: number) {
    const r = importForData(o.path, () => o.data.inputs);
    try {
      this.inputs = orderInputs(argNames(r.module.funcs[0]!), nameInputs(r.inputNames, o.data.inputs));
    } catch (e) {
      throw new UserError((e as Error).message);
    }
  }

  private status(what: string): void {
    this.o.status?.(`sensitivity: ${what} [${this.done} of ${this.total} runs, ${((performance.now() - this.start) / 1000).toFixed(0)} s]`);
  }

  /** The model pruned by `options`, run by the interpreter on the data: its first output. */
  private output(options: PruneOptions | undefined, what: string) {
    this.status(what);
    const { module } = importForData(this.o.path, () => this.o.data.inputs);
    if (options) pruned(module, options, this.o);
    const out = interpret(module.funcs[0]!, this.inputs)[0];
    this.done++;
    if (!out) throw new UserError(`the model has no outputs to score`);
    return out;
  }

  baseline(): Score {
    this.ref = reference(this.output(undefined, 'the unpruned model'), this.o.data.labels);
    return score(this.ref.output, this.ref);
  }

  scoreOf(options: PruneOptions, what: string): Score {
    return score(this.output(options, what), this.ref);
  }

  /** The model pruned by `options`, through the compile pipeline and planned for the target at the latency shapes (and tuned, when asked). */
  async plan(options: PruneOptions | undefined, what: string): Promise<KernelPlan> {
    const { module } = importOnnxFile(this.o.path, this.o.latencyImport);
    if (options) pruned(module, options, this.o);
    runPipeline(module, parsePipeline(DEFAULT_COMPILE_PIPELINE, passRegistry()), quiet);
    const plan = this.o.target.plan(module.funcs[0]!);
    if (this.o.tuneBudgetMs === undefined) return plan;
    this.status(`tuning ${what}`);
    return (await tune(plan, this.o.target, { budgetMs: this.o.tuneBudgetMs })).plan;
  }

  /** One call of a plan as a model of its own, with the kernel, format and schedule it has in the plan. */
  private alone(pc: PlannedCall): KernelPlan {
    return isolatedPlan(pc.op, this.o.target.caps, { kernel: pc.call.kernel, choice: { format: pc.call.format, schedule: pc.call.schedule }, why: 'as in the model' });
  }

  /** The cost model's estimate: the products' and convolutions' counted work (other kernels count none); undefined when none counts. */
  private async estimate(calls: readonly PlannedCall[]): Promise<number | undefined> {
    const rates = await this.o.target.probe!();
    const est = calls.flatMap((pc) => estimateChoice(pc.op, pc.call.kernel, pc.call, this.o.target.caps, rates) ?? []);
    return est.length ? est.reduce((a, b) => a + b, 0) : undefined;
  }

  private async runner(plan: KernelPlan): Promise<Runner> {
    const artifact = this.o.target.compile(plan);
    const model = await this.o.target.instantiate((name) => artifact.files[name]);
    this.models.push(model);
    return runnerOf(model, randomArgs(plan.func, 5, 1), this.o.target);
  }

  /** Each plan's time: the whole model, or (with `layer`) the layer's kernels alone; timed side by side, or estimated. */
  async times(plans: readonly KernelPlan[], layer?: string): Promise<(Time | undefined)[]> {
    const parts = plans.map((p) => (layer === undefined ? [undefined] : callsOf(p, layer)));
    if (this.o.latency === 'cost model') {
      const est = await Promise.all(plans.map((p, i) => this.estimate(layer === undefined ? p.calls : (parts[i] as PlannedCall[]))));
      return est.map((ms) => (ms === undefined ? undefined : { ms }));
    }
    this.status(`timing ${layer === undefined ? `${plans.length} models` : `layer ${layer} at ${plans.length} sparsities`} on ${this.o.target.name}`);
    try {
      const runners: Runner[] = [], owner: number[] = [];
      for (const [i, p] of plans.entries()) {
        for (const pc of parts[i]!) {
          runners.push(await this.runner(pc ? this.alone(pc) : p));
          owner.push(i);
        }
      }
      const t = await timeRunners(runners, { rounds: 21, sampleMs: 2 });
      return plans.map((_, i) => {
        const mine = t.filter((_, k) => owner[k] === i);
        return mine.length ? { ms: mine.reduce((a, x) => a + x.median, 0), noise: Math.hypot(...mine.map((x) => x.noise)) } : undefined;
      });
    } finally {
      for (const m of this.models.splice(0)) m.dispose?.();
    }
  }

  /**
   * Each layer's sparsity after a prune, as a fraction `prune --schedule` turns back into the same
   * count of zeros (it zeroes floor(fraction x size)).
   */
  layerSparsity(options: PruneOptions): Record<string, number> {
    const { module } = importOnnxFile(this.o.path, this.o.latencyImport);
    return Object.fromEntries(prunableLayers(pruned(module, options, this.o), this.o.only ?? [], this.o.exclude ?? []).map((l) => {
      const w = constData(l.weight)!, zeros = w.size - w.countNonzero();
      return [l.name, zeros === 0 ? 0 : zeros === w.size ? 1 : (zeros + 0.5) / w.size];
    }));
  }

  rows(): number {
    return this.ref.classes.length;
  }

  elapsedS(): number {
    return (performance.now() - this.start) / 1000;
  }
}

/** A time: measured (median, with its robust noise) or estimated. */
interface Time { readonly ms: number; readonly noise?: number }
const withMs = (p: Point, t: Time | undefined): Point => ({ ...p, ...t });
const point = (sparsity: number, s: Score, ms: Time | undefined): Point => withMs({ sparsity, metric: s.metric, agreement: s.agreement, error: s.error }, ms);

export async function sweep(o: SweepOptions): Promise<SensitivityReport> {
  if (o.latency === 'cost model' && !o.target.probe) throw new UserError(`--no-measure estimates times with the target's cost model, and the ${o.target.name} target has none: measure instead`);
  const probe = importOnnxFile(o.path, o.latencyImport).module;
  const prunable = prunableLayers(probe, o.only ?? [], o.exclude ?? []);
  if (!prunable.length) throw new UserError(`no prunable layers (Conv, Gemm or MatMul with a constant weight)${o.only?.length || o.exclude?.length ? ' match --only / --exclude' : ' in the model'}`);
  // layers are named to the prune pass by patterns (names, weight names, kinds, * wildcards): each name must pick its layer alone
  const all = prunableLayers(probe);
  const ambiguous = prunable.find((l) => all.some((m) => m.op !== l.op && layerMatches(m, l.name)));
  if (ambiguous) throw new UserError(`layer '${ambiguous.name}' cannot be pruned alone: its name also picks other layers (as a weight name, a kind or a * pattern)`);
  const steps = o.ladder.filter((s) => s > 0);
  const sw = new Sweep(o, 1 + (prunable.length + 2) * steps.length + (o.maxDrop !== undefined ? 1 : 0));
  const base = sw.baseline();
  const basePlan = await sw.plan(undefined, 'the unpruned model');
  const layers: LayerCurve[] = [];
  for (const [li, l] of prunable.entries()) {
    const scores = steps.map((s) => sw.scoreOf(alone(l.name, s), `layer ${li + 1} of ${prunable.length} (${l.name}) at ${(100 * s).toFixed(0)}%`));
    // a layer whose kernels cannot be told apart in the compiled model (no node name, fused away) has no kernel time
    const plans = [basePlan];
    for (const s of steps) plans.push(await sw.plan(alone(l.name, s), `${l.name} at ${(100 * s).toFixed(0)}%`));
    const ms = callsOf(basePlan, l.name).length ? await sw.times(plans, l.name) : [];
    const points = [point(0, base, ms[0]), ...steps.map((s, i) => point(s, scores[i]!, ms[i + 1]))];
    const w = constData(l.weight)!;
    layers.push({ layer: l.name, kind: l.op.name.replace(/^nn\./, ''), weight: l.weight.name ?? '', shape: [...w.shape], weights: w.size, initialSparsity: w.size ? 1 - w.countNonzero() / w.size : 0, points });
    o.log?.(`${l.name}: ${points.map((p) => `${(100 * p.sparsity).toFixed(0)}% ${(100 * p.metric).toFixed(1)}${p.ms !== undefined ? ` ${p.ms.toFixed(4)} ms` : ''}`).join(', ')}`);
  }
  const model: ModelCurve[] = (['global', 'layer'] as const).map((scope) => ({ scope, points: steps.map((s) => point(s, sw.scoreOf({ scope, sparsity: s }, `${scope === 'global' ? 'global' : 'layer-wise'} magnitude at ${(100 * s).toFixed(0)}%`), undefined)) }));
  const recommendation = o.maxDrop !== undefined ? recommend(sw, layers, base, o.maxDrop, o.log) : undefined;
  // every whole model timed in one side-by-side run, so that they are comparable
  const plans = [basePlan];
  for (const c of model) for (const s of steps) plans.push(await sw.plan({ scope: c.scope, sparsity: s }, `the model, ${c.scope} at ${(100 * s).toFixed(0)}%`));
  if (recommendation) plans.push(await sw.plan(profileOptions(recommendation.profile), 'the per-layer allocation'));
  const ms = await sw.times(plans);
  const curves = model.map((c, ci) => ({ ...c, points: c.points.map((p, i) => withMs(p, ms[1 + ci * steps.length + i])) }));
  const baseMs = ms[0]?.ms;
  // the profile names every prunable layer (those not swept at 0), so `prune --schedule` touches nothing else
  const others = Object.fromEntries(all.map((l) => [l.name, 0]));
  const chosen = recommendation ? finalChoice(sw, recommendation, ms[ms.length - 1], curves, base, baseMs) : undefined;
  const rec = chosen ? { ...chosen, profile: { ...others, ...chosen.profile } } : undefined;
  return {
    model: o.path, target: o.target.name, latency: o.latency, metric: o.data.labels ? 'top-1 accuracy' : 'top-1 agreement', rows: sw.rows(), ladder: [...o.ladder],
    base: { metric: base.metric, ...(baseMs !== undefined ? { ms: baseMs } : {}) }, layers, curves, ...(rec ? { recommendation: rec } : {}), seconds: sw.elapsedS(),
  };
}

/** The allocation, measured as a whole on the data, stepped back while its drop is over the limit. */
function recommend(sw: Sweep, curves: readonly LayerCurve[], base: Score, maxDrop: number, log?: (line: string) => void): Allocated {
  // points without a time are left out: a layer without times stays as it is
  const layers = curves.map((c) => {
    const timed = c.points.flatMap((p) => (p.ms === undefined ? [] : [{ sparsity: p.sparsity, drop: base.metric - p.metric, ms: p.ms, noise: p.noise ?? 0 }]));
    return { layer: c.layer, points: timed[0]?.sparsity === 0 ? timed : [{ sparsity: 0, drop: 0, ms: 0 }] };
  });
  const a = allocate(layers, maxDrop);
  for (let back = 0; ; back++) {
    const profile = withoutLast(a, back);
    const s = sw.scoreOf(profileOptions(profile), `the recommended profile${back ? ` (${back} step(s) back)` : ''}`);
    const drop = base.metric - s.metric;
    if (drop <= maxDrop + 1e-12 || back === a.steps.length) {
      if (back) log?.(`the profile measured a drop over the limit as a whole: took back its last ${back} step(s)`);
      return { maxDrop, profile, score: s, allocation: { profile, ...predict(layers, profile), stepsBack: back, metric: s.metric, drop } };
    }
  }
}

interface Allocated {
  readonly maxDrop: number;
  readonly profile: Record<string, number>;
  readonly score: Score;
  readonly allocation: Omit<Allocation, 'ms'>;
}

/**
 * What is recommended: the fastest, as measured in the same side-by-side run, of the allocation and
 * the whole-model points within the drop (global or layer-wise); a point's per-layer sparsities are
 * then the profile.
 */
function finalChoice(sw: Sweep, a: Allocated, t: Time | undefined, curves: readonly ModelCurve[], base: Score, baseMs: number | undefined): Recommendation {
  const allocation: Allocation = { ...a.allocation, ...(t ? { ms: t.ms } : {}) };
  const within = curves.flatMap((c) => c.points.filter((p) => base.metric - p.metric <= a.maxDrop + 1e-12 && p.ms !== undefined).map((p) => ({ c, p })));
  const fastest = within.sort((x, y) => x.p.ms! - y.p.ms!)[0];
  const beats = fastest && t && fastest.p.ms! < t.ms;
  const pick = beats
    ? { source: `${fastest.c.scope === 'global' ? 'global' : 'layer-wise'} magnitude at ${(100 * fastest.p.sparsity).toFixed(0)}%`, profile: sw.layerSparsity({ scope: fastest.c.scope, sparsity: fastest.p.sparsity }), s: fastest.p as Score, ms: fastest.p.ms }
    : { source: 'per-layer allocation', profile: a.profile, s: a.score, ms: t?.ms };
  return {
    maxDrop: a.maxDrop, source: pick.source, profile: pick.profile, metric: pick.s.metric, agreement: pick.s.agreement, error: pick.s.error, drop: base.metric - pick.s.metric,
    ...(pick.ms !== undefined && baseMs !== undefined ? { ms: pick.ms, speedup: baseMs / pick.ms } : {}), allocation,
  };
}
