// Builds a ResNet-50-shaped IR module (25.5M weights, BN folded into conv biases) with random,
// half-zero weights: the size benchmark for the text form and a stand-in model for IR tooling.
import { Builder, int, ints, Tensor, TensorType, type Module, type Value } from '../src/index.js';

export function resnet50Module(seed = 1): Module {
  let s = seed >>> 0 || 1;
  const rand = () => {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    return s / 2 ** 32;
  };
  const weights = (shape: number[]) => {
    const t = Tensor.zeros('f32', shape);
    const d = t.data as Float32Array;
    for (let i = 0; i < d.length; i++) d[i] = rand() < 0.5 ? 0 : rand() - 0.5;
    return t;
  };
  const { module, func, b } = Builder.func('resnet50');
  let n = 0;
  const conv = (x: Value, cin: number, cout: number, k: number, stride: number, relu: boolean): Value => {
    const id = n++;
    const w = b.constant(weights([cout, cin, k, k]), { name: `conv${id}.w` });
    const bias = b.constant(weights([cout]), { name: `conv${id}.b` });
    const p = (k - 1) >> 1;
    const y = b.op('nn.conv', [x, w, bias], { pads: ints([p, p, p, p]), strides: ints([stride, stride]) }, { names: [`conv${id}`], loc: `/layer/Conv_${id}` });
    return relu ? b.op('nn.relu', [y]) : y;
  };
  const x = func.addArgument(new TensorType(['N', 3, 224, 224], 'f32'), 'input');
  let h = conv(x, 3, 64, 7, 2, true);
  h = b.op('nn.max_pool', [h], { kernel_shape: ints([3, 3]), pads: ints([1, 1, 1, 1]), strides: ints([2, 2]) });
  let cin = 64;
  [[3, 64], [4, 128], [6, 256], [3, 512]].forEach(([blocks, width], stage) => {
    for (let i = 0; i < blocks!; i++) {
      const stride = i === 0 && stage > 0 ? 2 : 1;
      const cout = width! * 4;
      let y = conv(h, cin, width!, 1, 1, true);
      y = conv(y, width!, width!, 3, stride, true);
      y = conv(y, width!, cout, 1, stride === 2 ? 1 : 1, false);
      const skip = i === 0 ? conv(h, cin, cout, 1, stride, false) : h;
      h = b.op('nn.relu', [b.op('nn.add', [y, skip])]);
      cin = cout;
    }
  });
  h = b.op('nn.flatten', [b.op('nn.global_average_pool', [h])], { axis: int(1) });
  const fc = b.op('nn.gemm', [h, b.constant(weights([1000, 2048]), { name: 'fc.w' }), b.constant(weights([1000]), { name: 'fc.b' })], { transB: int(1) });
  b.ret([fc], ['logits']);
  return module;
}
