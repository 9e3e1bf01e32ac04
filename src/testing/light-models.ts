// ONNX's "light" model-zoo graphs in ../shared/onnx-tests/light and their documented input.
import { Tensor } from '../ir/tensor.js';

export const LIGHT_DIR = new URL('../../../shared/onnx-tests/light/', import.meta.url).pathname;
export const LIGHT_MODELS = ['squeezenet', 'bvlc_alexnet', 'inception_v1', 'resnet50', 'vgg19'];

/** arange(n) / n reshaped to 1x3x224x224, the input the light models' outputs were made with. */
export function documentedInput(): Tensor {
  const n = 3 * 224 * 224;
  return Tensor.from('f32', [1, 3, 224, 224], Float32Array.from({ length: n }, (_, i) => i / n));
}
