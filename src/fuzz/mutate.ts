// Mutators for the fuzzer: bytes (bit flips, cuts, duplicated and inserted runs), text (token
// deletion, duplication, swaps, digit and bracket edits) and ONNX semantics (names, attributes,
// dims, types and opsets changed in a decodable model). Each says what it did, for findings.
import { onnx, type GraphProto, type ModelProto } from '../onnx/proto.js';
import { pick, type Rng } from './gen-net.js';

const int = (r: Rng, lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));

export function mutateBytes(r: Rng, base: Uint8Array): { bytes: Uint8Array; how: string } {
  const b = Uint8Array.from(base);
  const at = () => int(r, 0, Math.max(0, b.length - 1));
  const kind = pick(r, ['flip', 'flip', 'byte', 'truncate', 'duplicate', 'insert', 'varint']);
  switch (kind) {
    case 'flip': {
      const n = int(r, 1, 8), where: number[] = [];
      for (let i = 0; i < n; i++) {
        const k = at();
        b[k]! ^= 1 << int(r, 0, 7);
        where.push(k);
      }
      return { bytes: b, how: `${n} bit flips at ${where.join(',')}` };
    }
    case 'byte': {
      const k = at(), v = pick(r, [0, 0xff, 0x7f, 0x80, int(r, 0, 255)]);
      b[k] = v;
      return { bytes: b, how: `byte ${k} set to ${v}` };
    }
    case 'truncate': {
      const k = at();
      return { bytes: b.slice(0, k), how: `truncated to ${k} of ${b.length} bytes` };
    }
    case 'duplicate': {
      const k = at(), end = Math.min(b.length, k + int(r, 1, 64));
      const out = new Uint8Array(b.length + end - k);
      out.set(b.subarray(0, end));
      out.set(b.subarray(k), end);
      return { bytes: out, how: `bytes ${k}..${end} duplicated` };
    }
    case 'insert': {
      const k = at(), n = int(r, 1, 16);
      const ins = Uint8Array.from({ length: n }, () => int(r, 0, 255));
      const out = new Uint8Array(b.length + n);
      out.set(b.subarray(0, k));
      out.set(ins, k);
      out.set(b.subarray(k), k + n);
      return { bytes: out, how: `${n} random bytes inserted at ${k}` };
    }
    default: {
      // A huge varint where a length or dim may be: 10 bytes of 0xff then 0x01.
      const k = at();
      const big = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01];
      const out = new Uint8Array(b.length + big.length);
      out.set(b.subarray(0, k));
      out.set(big, k);
      out.set(b.subarray(k), k + big.length);
      return { bytes: out, how: `a huge varint inserted at ${k}` };
    }
  }
}

/** Tokens of IR text: words, numbers, punctuation, whitespace runs. */
function tokens(text: string): string[] {
  return text.match(/%[\w.$-]+|[A-Za-z_][\w.$]*|-?\d+(\.\d+)?(e[+-]?\d+)?|\s+|"(?:[^"\\]|\\.)*"|./g) ?? [];
}

export function mutateText(r: Rng, text: string): { text: string; how: string } {
  const t = tokens(text);
  if (t.length === 0) return { text: '[', how: 'empty text replaced' };
  const k = int(r, 0, t.length - 1);
  const kind = pick(r, ['delete', 'duplicate', 'swap', 'number', 'number', 'bracket', 'splice', 'truncate', 'replace']);
  switch (kind) {
    case 'delete': t.splice(k, int(r, 1, 3)); break;
    case 'duplicate': t.splice(k, 0, ...t.slice(k, k + int(r, 1, 4))); break;
    case 'swap': { const j = int(r, 0, t.length - 1); [t[k], t[j]] = [t[j]!, t[k]!]; break; }
    case 'number': {
      const nums = t.map((x, i) => (/^-?\d/.test(x) ? i : -1)).filter((i) => i >= 0);
      const i = nums.length ? pick(r, nums) : k;
      t[i] = pick(r, ['0', '-1', '1', '-3', '4294967296', '100000000000000000000000', '2147483648', '9007199254740993', '1e23', '0.5', 'nan', '65537', String(int(r, 0, 1000))]);
      break;
    }
    case 'bracket': t.splice(k, 0, pick(r, ['[', ']', '{', '}', '(', ')', '<', '>', '[['.repeat(int(r, 1, 2000))])); break;
    case 'splice': { const j = int(r, 0, t.length - 1); t.splice(k, 0, ...t.slice(j, j + int(r, 1, 12))); break; }
    case 'truncate': t.length = k; break;
    default: t[k] = pick(r, ['%x', '%0', 'nn.conv', 'nn.relu', 'tensor<?xf32>', 'tensor<0xf32>', 'i64', 'f16', '#csr<idx = 8>', '#nm<n = 2, m = 4, axis = 1>', 'dense<1.0>', '"a"', ',', ':']);
  }
  return { text: t.join(''), how: `${kind} at token ${k}` };
}

/** A semantic mutation of a decodable model: it still decodes, but may break ONNX's rules. */
export function mutateModel(r: Rng, bytes: Uint8Array): { bytes: Uint8Array; how: string } {
  const m: ModelProto = onnx.ModelProto.decode(bytes);
  const g: GraphProto = m.graph!;
  const nodes = g.node ?? [];
  const node = nodes.length ? pick(r, nodes) : undefined;
  const names = [...(g.input ?? []).map((i) => i.name ?? ''), ...(g.initializer ?? []).map((t) => t.name ?? ''), ...nodes.flatMap((n) => n.output ?? [])];
  const kind = pick(r, ['dup-output', 'dup-initializer', 'output-is-input', 'attr-int', 'attr-ints', 'dims', 'elem-type', 'drop-input', 'no-opset', 'opset', 'swap-inputs', 'op-type', 'cycle']);
  let how: string = kind;
  switch (kind) {
    case 'dup-output':
      if (nodes.length >= 2) { nodes[1]!.output = [...(nodes[0]!.output ?? [])]; how = `node 1 writes node 0's output`; }
      break;
    case 'dup-initializer':
      if (g.initializer?.length) g.initializer.push(onnx.TensorProto.create(g.initializer[0]!));
      break;
    case 'output-is-input':
      if (node && g.input?.length) { node.output = [g.input[0]!.name ?? 'x']; how = `${node.opType} writes the graph input's name`; }
      break;
    case 'attr-int': case 'attr-ints': {
      const attrs = node?.attribute ?? [];
      if (!attrs.length) break;
      const a = pick(r, attrs);
      const v = pick(r, [0, -1, -2, 1, 2, 3, 1000, 2 ** 31, -(2 ** 31), 1e15]);
      if (a.ints?.length) { a.ints = a.ints.map((x) => (r() < 0.5 ? v : x)); if (kind === 'attr-ints' && r() < 0.3) a.ints = Array.from({ length: int(r, 0, 9) }, () => v); }
      else if (a.type === 2) a.i = v;
      else if (a.type === 1) a.f = pick(r, [NaN, Infinity, -1, 0, 1e30]);
      how = `${node!.opType}.${a.name} = ${v}`;
      break;
    }
    case 'dims': {
      const t = g.initializer?.length ? pick(r, g.initializer) : undefined;
      if (t?.dims?.length) { const i = int(r, 0, t.dims.length - 1); t.dims[i] = pick(r, [0, -1, 2 ** 40, 3, Number(t.dims[i]) + 1]); how = `initializer '${t.name}' dim ${i} = ${t.dims[i]}`; }
      break;
    }
    case 'elem-type': {
      const vi = pick(r, [...(g.input ?? []), ...(g.output ?? [])]);
      if (vi?.type?.tensorType) { vi.type.tensorType.elemType = pick(r, [0, 1, 6, 7, 9, 10, 11, 16, 99]); how = `'${vi.name}' element type ${vi.type.tensorType.elemType}`; }
      else if (g.initializer?.length) { const t = pick(r, g.initializer); t.dataType = pick(r, [0, 6, 7, 11, 99]); how = `initializer '${t.name}' data type ${t.dataType}`; }
      break;
    }
    case 'drop-input':
      if (node?.input?.length) { node.input = node.input.slice(0, int(r, 0, node.input.length - 1)); how = `${node.opType} keeps ${node.input.length} inputs`; }
      break;
    case 'no-opset': m.opsetImport = []; break;
    case 'opset': m.opsetImport = [{ domain: '', version: pick(r, [1, 6, 7, 11, 13, 26, 1000]) }]; how = `opset ${m.opsetImport[0]!.version}`; break;
    case 'swap-inputs':
      if (node?.input && node.input.length >= 2) { node.input = [...node.input].reverse(); how = `${node.opType} inputs reversed`; }
      break;
    case 'op-type':
      if (node) { const from = node.opType; node.opType = pick(r, ['Conv', 'MatMul', 'Gemm', 'Relu', 'Add', 'Tile', 'Reshape', 'Transpose', 'Concat', 'MaxPool', 'Softmax', 'ConstantOfShape', 'LayerNormalization', 'Sum']); how = `${from} became ${node.opType}`; }
      break;
    default:
      // A node reading a value defined later (a cycle when it feeds that value).
      if (node?.input?.length && names.length) { node.input[0] = pick(r, names); how = `${node.opType} reads '${node.input[0]}'`; }
  }
  return { bytes: onnx.ModelProto.encode(m).finish(), how };
}
