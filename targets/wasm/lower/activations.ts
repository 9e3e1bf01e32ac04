// Activation expressions shared by the element-wise ops of the same name and by the epilogues fused
// into matmuls and convolutions (`activation`, `activation_params`), so each is written once.
import type { Expr } from '../emit.js';
import type { Num } from '../kernels/map.js';

type Activation = (n: Num, x: () => Expr, p: readonly number[]) => Expr;

export const ACTIVATIONS: Readonly<Record<string, Activation>> = {
  none: (_n, x) => x(),
  relu: (n, x) => n.max(x(), n.c(0)),
  clip: (n, x, p) => n.min(n.max(x(), n.c(p[0]!)), n.c(p[1]!)),
  leaky_relu: (n, x, p) => n.select(n.ge(x(), n.c(0)), x(), n.mul(x(), n.c(p[0]!))),
  // the interpreter's overflow-free form on both sides of 0
  sigmoid: (n, x) => n.select(n.ge(x(), n.c(0)), n.div(n.c(1), n.add(n.c(1), n.host('exp', n.neg(x())))), n.div(n.host('exp', x()), n.add(n.c(1), n.host('exp', x())))),
  hard_swish: (n, x) => n.mul(x(), n.max(n.c(0), n.min(n.c(1), n.add(n.div(x(), n.c(6)), n.c(0.5))))),
  gelu: (n, x) => n.mul(n.mul(n.c(0.5), x()), n.add(n.c(1), n.host('erf', n.mul(x(), n.c(Math.SQRT1_2))))),
  gelu_tanh: (n, x) => n.mul(n.mul(n.c(0.5), x()), n.add(n.c(1), n.host('tanh', n.mul(n.c(Math.sqrt(2 / Math.PI)), n.add(x(), n.mul(n.c(0.044715), n.mul(x(), n.mul(x(), x())))))))),
};
