// A small builder for ONNX models (ModelProto bytes): the example models, and tests that need
// particular (or deliberately broken) graphs.
import type { Tensor } from '../ir/tensor.js';
import type { ElementType } from '../ir/types.js';
import { onnx, onnxDtypeOf, tensorToProto, type AttributeProto, type NodeProto, type TensorProto, type ValueInfoProto } from './proto.js';

/** Typed attribute values (ONNX distinguishes int from float, so they are tagged). */
export const A = {
  i: (v: number): AttributeProto => ({ type: 2, i: v }),
  f: (v: number): AttributeProto => ({ type: 1, f: v }),
  s: (v: string): AttributeProto => ({ type: 3, s: new TextEncoder().encode(v) }),
  ints: (v: readonly number[]): AttributeProto => ({ type: 7, ints: [...v] }),
  floats: (v: readonly number[]): AttributeProto => ({ type: 6, floats: [...v] }),
  t: (v: Tensor): AttributeProto => ({ type: 4, t: tensorToProto(v) }),
};

export class OnnxGraphBuilder {
  readonly nodes: NodeProto[] = [];
  readonly inputs: ValueInfoProto[] = [];
  readonly outputs: ValueInfoProto[] = [];
  readonly initializers: TensorProto[] = [];
  private count = 0;

  constructor(readonly name: string) {}

  private valueInfo(name: string, et: ElementType, dims?: readonly (number | string)[]): ValueInfoProto {
    return {
      name,
      type: {
        tensorType: {
          elemType: onnxDtypeOf(et),
          ...(dims ? { shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } : {}),
        },
      },
    };
  }

  input(name: string, et: ElementType, dims: readonly (number | string)[]): string {
    this.inputs.push(this.valueInfo(name, et, dims));
    return name;
  }
  output(name: string, et: ElementType, dims?: readonly (number | string)[]): void {
    this.outputs.push(this.valueInfo(name, et, dims));
  }
  initializer(name: string, t: Tensor): string {
    this.initializers.push(tensorToProto(t, name));
    return name;
  }
  /** Adds a node; returns its output names (generated when not given). */
  node(opType: string, inputs: readonly string[], attrs: Record<string, AttributeProto> = {}, outputs?: readonly string[], nodeName?: string): string[] {
    const name = nodeName ?? `${opType}_${this.count++}`;
    const outs = outputs ? [...outputs] : [`${name}_out`];
    this.nodes.push({
      opType,
      name,
      input: [...inputs],
      output: outs,
      attribute: Object.entries(attrs).map(([n, a]) => ({ ...a, name: n })),
    });
    return outs;
  }
  /** Shorthand for a node with one output (and a node name of its own, when given). */
  op(opType: string, inputs: readonly string[], attrs: Record<string, AttributeProto> = {}, output?: string, nodeName?: string): string {
    return this.node(opType, inputs, attrs, output ? [output] : undefined, nodeName)[0]!;
  }

  /** The model's bytes; `opset` null leaves out opset_import (an invalid model, for tests). */
  model(opset: number | null = 17, irVersion = 8): Uint8Array {
    const m = onnx.ModelProto.create({
      irVersion,
      producerName: 'sparsec',
      opsetImport: opset === null ? [] : [{ domain: '', version: opset }],
      graph: { name: this.name, node: this.nodes, input: this.inputs, output: this.outputs, initializer: this.initializers },
    });
    return onnx.ModelProto.encode(m).finish();
  }
}
