import { describe, expect, it } from 'vitest';
import { allocate, predict, withoutLast, type LayerPoints } from './allocate.js';

const layer = (name: string, pts: [number, number, number][]): LayerPoints => ({ layer: name, points: pts.map(([sparsity, drop, ms]) => ({ sparsity, drop, ms })) });

describe('allocate', () => {
  // a: cheap to prune and slow (a big layer); b: costly to prune; c: prunes for free but saves nothing
  const layers = [
    layer('a', [[0, 0, 10], [0.5, 0.001, 8], [0.9, 0.004, 3], [0.95, 0.03, 2]]),
    layer('b', [[0, 0, 5], [0.5, 0.02, 4.9], [0.9, 0.05, 1]]),
    layer('c', [[0, 0, 1], [0.9, 0, 1]]),
  ];

  it('takes the most time saved per metric lost, within the drop', () => {
    const a = allocate(layers, 0.01);
    expect(a.sparsity).toEqual({ a: 0.9, b: 0, c: 0 });
    expect(a.predictedDrop).toBeCloseTo(0.004, 12);
    expect(a.predictedSavedMs).toBeCloseTo(7, 12);
  });

  it('goes further with more drop allowed, and never past it', () => {
    for (const d of [0, 0.004, 0.03, 0.06, 0.2]) {
      const a = allocate(layers, d);
      const drop = layers.reduce((s, l) => s + l.points.find((p) => p.sparsity === a.sparsity[l.layer])!.drop, 0);
      expect(drop, `max drop ${d}`).toBeLessThanOrEqual(d + 1e-12);
      expect(a.predictedDrop).toBeCloseTo(drop, 12);
    }
    expect(allocate(layers, 0.06).sparsity).toEqual({ a: 0.9, b: 0.9, c: 0 });
    expect(allocate(layers, 0.2).sparsity).toEqual({ a: 0.95, b: 0.9, c: 0 });
    expect(allocate(layers, 0).sparsity).toEqual({ a: 0, b: 0, c: 0 });
  });

  it('steps back in reverse order', () => {
    const a = allocate(layers, 0.2);
    // a to 50% first (2 ms for 0.1 point), then on to 90%, b, and a's last step
    expect(a.steps.map((s) => `${s.layer} ${s.to}`)).toEqual(['a 0.5', 'a 0.9', 'b 0.9', 'a 0.95']);
    expect(withoutLast(a, 1)).toEqual({ a: 0.9, b: 0.9, c: 0 });
    expect(withoutLast(a, 2)).toEqual({ a: 0.9, b: 0, c: 0 });
    expect(withoutLast(a, 4)).toEqual({ a: 0, b: 0, c: 0 });
  });
});

describe('allocate with noisy times', () => {
  it('takes no step whose saving is within the noise of the two times', () => {
    const noisy = [{ layer: 'a', points: [{ sparsity: 0, drop: 0, ms: 10, noise: 1 }, { sparsity: 0.5, drop: 0, ms: 8, noise: 1 }, { sparsity: 0.9, drop: 0.001, ms: 5, noise: 1 }] }];
    // 2 ms saved with a noise of 1.41 on the difference is not enough; 5 ms is
    expect(allocate(noisy, 0.01).steps.map((s) => s.to)).toEqual([0.9]);
  });
});

describe('predict', () => {
  it('adds the chosen points’ drops and the time they save against dense', () => {
    const layers = [layer('a', [[0, 0, 10], [0.9, 0.004, 3]]), layer('b', [[0, 0, 5], [0.5, 0.02, 4]])];
    const p = predict(layers, { a: 0.9, b: 0.5 });
    expect(p.predictedDrop).toBeCloseTo(0.024, 12);
    expect(p.predictedSavedMs).toBeCloseTo(8, 12);
    expect(predict(layers, {})).toEqual({ predictedDrop: 0, predictedSavedMs: 0 });
  });
});
