// Training the digits examples in-process: a small MLP and a small CNN, plain mini-batch SGD with
// momentum on softmax cross-entropy, every number seeded (the same weights on every run of the same
// Node). Layers are written as forward/backward pairs over Float32Arrays; no dependency.
import { normal, rng } from '../../src/util/random.js';

/** A trainable tensor: its values, its gradient and its momentum buffer. */
export class Param {
  readonly grad: Float32Array;
  readonly vel: Float32Array;
  constructor(readonly shape: readonly number[], readonly data: Float32Array) {
    this.grad = new Float32Array(data.length);
    this.vel = new Float32Array(data.length);
  }
  static he(r: () => number, shape: readonly number[], fanIn: number): Param {
    return new Param(shape, normal(r, shape.reduce((a, b) => a * b, 1), Math.sqrt(2 / fanIn)));
  }
  static zeros(shape: readonly number[]): Param {
    return new Param(shape, new Float32Array(shape.reduce((a, b) => a * b, 1)));
  }
}

/** One layer: forward keeps what backward needs (a batch at a time); backward returns the input's gradient. */
interface Layer {
  readonly params: readonly Param[];
  forward(x: Float32Array, n: number): Float32Array;
  backward(dy: Float32Array, n: number): Float32Array;
}

/** y = x W^T + b, W [out, in] (ONNX Gemm with transB = 1). */
export class Dense implements Layer {
  readonly w: Param;
  readonly b: Param;
  private x: Float32Array = new Float32Array(0);
  constructor(r: () => number, readonly inF: number, readonly outF: number) {
    this.w = Param.he(r, [outF, inF], inF);
    this.b = Param.zeros([outF]);
  }
  get params() { return [this.w, this.b]; }
  forward(x: Float32Array, n: number): Float32Array {
    this.x = x;
    const { inF, outF } = this, w = this.w.data, y = new Float32Array(n * outF);
    for (let s = 0; s < n; s++) {
      for (let o = 0; o < outF; o++) {
        let acc = this.b.data[o]!;
        for (let i = 0, xo = s * inF, wo = o * inF; i < inF; i++) acc += x[xo + i]! * w[wo + i]!;
        y[s * outF + o] = acc;
      }
    }
    return y;
  }
  backward(dy: Float32Array, n: number): Float32Array {
    const { inF, outF, x } = this, w = this.w.data, gw = this.w.grad, gb = this.b.grad, dx = new Float32Array(n * inF);
    for (let s = 0; s < n; s++) {
      for (let o = 0; o < outF; o++) {
        const g = dy[s * outF + o]!;
        if (g === 0) continue;
        gb[o] = gb[o]! + g;
        for (let i = 0, xo = s * inF, wo = o * inF; i < inF; i++) {
          gw[wo + i] = gw[wo + i]! + g * x[xo + i]!;
          dx[xo + i] = dx[xo + i]! + g * w[wo + i]!;
        }
      }
    }
    return dx;
  }
}

export class Relu implements Layer {
  readonly params = [];
  private y: Float32Array = new Float32Array(0);
  forward(x: Float32Array): Float32Array {
    this.y = x.map((v) => (v > 0 ? v : 0));
    return this.y;
  }
  backward(dy: Float32Array): Float32Array {
    return dy.map((g, i) => (this.y[i]! > 0 ? g : 0));
  }
}

/** 3x3 convolution, stride 1, padding 1, NCHW; W [cout, cin, 3, 3]. */
export class Conv3x3 implements Layer {
  readonly w: Param;
  readonly b: Param;
  private x: Float32Array = new Float32Array(0);
  constructor(r: () => number, readonly cin: number, readonly cout: number, readonly size: number) {
    this.w = Param.he(r, [cout, cin, 3, 3], cin * 9);
    this.b = Param.zeros([cout]);
  }
  get params() { return [this.w, this.b]; }
  /**
   * Every tap that lands inside the image: forward adds w * x into y; backward adds dy * x into the
   * weight's gradient and dy * w into dx (one loop nest, the innermost loops kept free of calls).
   */
  private sweep(n: number, x: Float32Array, y: Float32Array, dx?: Float32Array): void {
    const { cin, cout, size: S } = this, w = this.w.data, gw = this.w.grad;
    for (let s = 0; s < n; s++) {
      for (let co = 0; co < cout; co++) {
        for (let ci = 0; ci < cin; ci++) {
          for (let ky = 0; ky < 3; ky++) {
            for (let kx = 0; kx < 3; kx++) {
              const wi = ((co * cin + ci) * 3 + ky) * 3 + kx, wv = w[wi]!;
              const x0 = Math.max(0, 1 - kx), x1 = Math.min(S, S + 1 - kx);
              let g = 0;
              for (let r = Math.max(0, 1 - ky); r < Math.min(S, S + 1 - ky); r++) {
                const yo = ((s * cout + co) * S + r) * S, xi = ((s * cin + ci) * S + r + ky - 1) * S + kx - 1;
                if (!dx) {
                  for (let c = x0; c < x1; c++) y[yo + c] = y[yo + c]! + wv * x[xi + c]!;
                } else {
                  for (let c = x0; c < x1; c++) {
                    g += y[yo + c]! * x[xi + c]!;
                    dx[xi + c] = dx[xi + c]! + y[yo + c]! * wv;
                  }
                }
              }
              if (dx) gw[wi] = gw[wi]! + g;
            }
          }
        }
      }
    }
  }
  forward(x: Float32Array, n: number): Float32Array {
    this.x = x;
    const S2 = this.size * this.size, y = new Float32Array(n * this.cout * S2);
    for (let i = 0; i < y.length; i++) y[i] = this.b.data[Math.floor(i / S2) % this.cout]!;
    this.sweep(n, x, y);
    return y;
  }
  backward(dy: Float32Array, n: number): Float32Array {
    const S2 = this.size * this.size, dx = new Float32Array(this.x.length);
    for (let i = 0; i < dy.length; i++) {
      const c = Math.floor(i / S2) % this.cout;
      this.b.grad[c] = this.b.grad[c]! + dy[i]!;
    }
    this.sweep(n, this.x, dy, dx);
    return dx;
  }
}

/** 2x2 max pooling, stride 2, NCHW. */
export class MaxPool2 implements Layer {
  readonly params = [];
  private argmax = new Int32Array(0);
  private inLen = 0;
  constructor(readonly channels: number, readonly size: number) {}
  forward(x: Float32Array, n: number): Float32Array {
    const S = this.size, H = S >> 1, y = new Float32Array(n * this.channels * H * H);
    this.argmax = new Int32Array(y.length);
    this.inLen = x.length;
    for (let p = 0; p < n * this.channels; p++) {
      for (let i = 0; i < H; i++) {
        for (let j = 0; j < H; j++) {
          let best = -Infinity, at = 0;
          for (const [di, dj] of [[0, 0], [0, 1], [1, 0], [1, 1]] as const) {
            const k = (p * S + 2 * i + di) * S + 2 * j + dj;
            if (x[k]! > best) { best = x[k]!; at = k; }
          }
          const o = (p * H + i) * H + j;
          y[o] = best;
          this.argmax[o] = at;
        }
      }
    }
    return y;
  }
  backward(dy: Float32Array): Float32Array {
    const dx = new Float32Array(this.inLen);
    for (let o = 0; o < dy.length; o++) {
      const at = this.argmax[o]!;
      dx[at] = dx[at]! + dy[o]!;
    }
    return dx;
  }
}

export class Net {
  constructor(readonly layers: readonly Layer[]) {}
  get params(): Param[] { return this.layers.flatMap((l) => l.params); }
  forward(x: Float32Array, n: number): Float32Array {
    return this.layers.reduce((h, l) => l.forward(h, n), x);
  }
  backward(dy: Float32Array, n: number): void {
    this.layers.reduceRight((g, l) => l.backward(g, n), dy);
  }
}

/** Softmax cross-entropy's gradient over a batch of logits (mean over the batch); returns the loss. */
function crossEntropy(logits: Float32Array, labels: ArrayLike<number>, n: number, dy: Float32Array): number {
  let loss = 0;
  for (let s = 0; s < n; s++) {
    const row = logits.subarray(s * 10, s * 10 + 10);
    const max = Math.max(...row);
    let sum = 0;
    for (let k = 0; k < 10; k++) sum += Math.exp(row[k]! - max);
    for (let k = 0; k < 10; k++) dy[s * 10 + k] = (Math.exp(row[k]! - max) / sum - (k === labels[s] ? 1 : 0)) / n;
    loss += Math.log(sum) - (row[labels[s]!]! - max);
  }
  return loss / n;
}

export interface TrainOptions {
  readonly epochs: number;
  readonly batch: number;
  readonly lr: number;
  readonly momentum: number;
  readonly seed: number;
  readonly log?: (line: string) => void;
}

/** Mini-batch SGD with momentum; images [count, 784] scaled to [0, 1], labels 0-9. */
export function train(net: Net, images: Float32Array, labels: Uint8Array, o: TrainOptions): void {
  const count = labels.length, r = rng(o.seed), order = Int32Array.from({ length: count }, (_, i) => i);
  for (let epoch = 0; epoch < o.epochs; epoch++) {
    for (let i = count - 1; i > 0; i--) {
      const j = Math.floor(r() * (i + 1));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    let loss = 0, batches = 0;
    const lr = o.lr * (epoch === o.epochs - 1 ? 0.3 : 1);
    for (let at = 0; at + o.batch <= count; at += o.batch) {
      const x = new Float32Array(o.batch * 784), y = new Uint8Array(o.batch);
      for (let s = 0; s < o.batch; s++) {
        x.set(images.subarray(order[at + s]! * 784, order[at + s]! * 784 + 784), s * 784);
        y[s] = labels[order[at + s]!]!;
      }
      const dy = new Float32Array(o.batch * 10);
      loss += crossEntropy(net.forward(x, o.batch), y, o.batch, dy);
      batches++;
      net.backward(dy, o.batch);
      for (const p of net.params) {
        for (let i = 0; i < p.data.length; i++) {
          p.vel[i] = o.momentum * p.vel[i]! - lr * p.grad[i]!;
          p.data[i] = p.data[i]! + p.vel[i]!;
        }
        p.grad.fill(0);
      }
    }
    o.log?.(`epoch ${epoch + 1}/${o.epochs}: mean loss ${(loss / batches).toFixed(4)}`);
  }
}

/** Top-1 accuracy of the net on images [count, 784]. */
export function accuracy(net: Net, images: Float32Array, labels: Uint8Array): number {
  let right = 0;
  for (let at = 0; at < labels.length; at += 100) {
    const n = Math.min(100, labels.length - at);
    const logits = net.forward(images.subarray(at * 784, (at + n) * 784), n);
    for (let s = 0; s < n; s++) {
      const row = logits.subarray(s * 10, s * 10 + 10);
      if (row.indexOf(Math.max(...row)) === labels[at + s]) right++;
    }
  }
  return right / labels.length;
}
