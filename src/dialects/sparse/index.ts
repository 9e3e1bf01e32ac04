// sparse dialect: ops whose weight operand carries a sparse encoding (#csr, #bsr, #nm), so backends
// can run them on the compressed form. Their semantics equal their nn counterparts on the dense
// weight; the interpreter runs the weight through its compressed storage.
import type { OpContext, OpDef } from '../../ir/opdef.js';
import { Tensor } from '../../ir/tensor.js';
import { convKernel } from '../../interp/kernels/linear.js';
import { LINEAR_OPS } from '../nn/linear.js';

const nnDef = (name: string) => LINEAR_OPS.find((d) => d.name === name)!;

/** Why the weight got its format (set by sparsify; an autotuner may replace the choice). */
const FORMAT_ATTRS: OpDef['attrs'] = { format_reason: { type: 'string', doc: 'why this sparse format was chosen (sparsify records it)' } };

function requireEncoded(c: OpContext, allowed: readonly string[]): void {
  const e = c.type(1).encoding;
  if (!e) c.fail(`operand #1 (w) must carry a sparse encoding (${allowed.map((k) => `#${k}`).join(', ')}); use the nn op for dense weights`);
  if (!allowed.includes(e.kind)) c.fail(`operand #1 (w) has encoding #${e.kind}, expected one of ${allowed.map((k) => `#${k}`).join(', ')}`);
}

/** The same op as an nn op, but with an encoded weight (and, for conv, an optional 2-d weight view). */
function sparseOf(nnName: string, summary: string, example: string, extra: Partial<OpDef> = {}): OpDef {
  const base = nnDef(nnName);
  return {
    ...base,
    name: nnName.replace('nn.', 'sparse.'),
    summary,
    onnx: undefined,
    attrs: { ...base.attrs, ...FORMAT_ATTRS },
    verify: (c) => {
      requireEncoded(c, ['csr', 'bsr', 'nm']);
      base.verify?.(c);
    },
    example,
    ...extra,
  } as OpDef;
}

/** sparse.conv keeps the 4-d weight for #nm along input channels; #csr/#bsr weights are the 2-d view [M, C/group * K...]. */
const convView = (c: OpContext, w: Tensor): Tensor => {
  if (w.shape.length !== 2) return w;
  const k = c.ints('kernel_shape');
  return new Tensor(w.elementType, [w.shape[0]!, w.shape[1]! / k.reduce((a, b) => a * b, 1), ...k], w.data);
};

export const SPARSE_OPS: OpDef[] = [
  sparseOf('nn.gemm', 'Gemm with a sparse-encoded B (CSR, BSR or N:M along the reduction axis).', '%y = sparse.gemm(%x, %w) {transB = 1} : tensor<1x1000xf32>'),
  sparseOf('nn.matmul', 'MatMul with a sparse-encoded 2-d right operand (optional bias, fused activation).', '%y = sparse.matmul(%x, %w, %b) : tensor<1x128x768xf32>'),
  (() => {
    const base = nnDef('nn.conv');
    const def: OpDef = {
      ...base,
      name: 'sparse.conv',
      onnx: undefined,
      attrs: { ...base.attrs, ...FORMAT_ATTRS },
      summary: 'Convolution with a sparse weight: #nm on the 4-d weight along input channels (axis 1), or #csr/#bsr on its 2-d view [M, C/group x kernel].',
      verify: (c) => {
        requireEncoded(c, ['csr', 'bsr', 'nm']);
        const w = c.type(1);
        if (w.rank === 2) {
          if (w.encoding!.kind === 'nm') c.fail('a 2-d conv weight takes #csr or #bsr; #nm goes on the 4-d weight along axis 1');
          if (!c.hasAttr('kernel_shape')) c.fail("a 2-d conv weight needs the attribute 'kernel_shape'");
        } else {
          if (w.encoding!.kind !== 'nm') c.fail('a 4-d conv weight takes #nm (along axis 1); #csr/#bsr go on the 2-d view [M, C/group x kernel]');
          base.verify?.(c);
        }
      },
      infer: (c) => {
        if (c.rank(1) !== 2) return base.infer!(c);
        const k = c.ints('kernel_shape');
        const per = k.reduce((a, b) => a * b, 1);
        const [m, ck] = c.shape(1);
        const cin = typeof ck === 'number' ? ck / per : undefined;
        // Infer through a view of the dense 4-d weight type.
        const x = c.shape(0);
        const g = c.int('group');
        if (typeof cin === 'number' && typeof x[1] === 'number' && x[1] !== cin * g) c.fail(`input channels ${x[1]} do not match the weight (${cin} x group ${g})`);
        const w = { kernel: k, strides: c.hasAttr('strides') ? c.ints('strides') : k.map(() => 1), dilations: c.hasAttr('dilations') ? c.ints('dilations') : k.map(() => 1), pads: c.hasAttr('pads') ? c.ints('pads') : [...k, ...k].map(() => 0), autoPad: c.hasAttr('auto_pad') ? c.string('auto_pad') : 'NOTSET' };
        const out = x.slice(2).map((d, i) => {
          if (typeof d !== 'number') return undefined;
          if (w.autoPad === 'SAME_UPPER' || w.autoPad === 'SAME_LOWER') return Math.ceil(d / w.strides[i]!);
          const pb = w.autoPad === 'VALID' ? 0 : w.pads[i]!, pe = w.autoPad === 'VALID' ? 0 : w.pads[i + k.length]!;
          return Math.floor((d + pb + pe - ((w.kernel[i]! - 1) * w.dilations[i]! + 1)) / w.strides[i]!) + 1;
        });
        return [{ elementType: c.elementType(0), shape: [x[0], m, ...out] }];
      },
      interpret: (c, [x, w, b]) => convKernel(c, b ? [x!, convView(c, w!), b] : [x!, convView(c, w!)]),
      example: '%y = sparse.conv(%x, %w, %b) {kernel_shape = [3, 3], pads = [1, 1, 1, 1]} : tensor<1x64x56x56xf32>',
    };
    return def;
  })(),
];
