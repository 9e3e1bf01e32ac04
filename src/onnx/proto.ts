// ONNX protobuf decoding and encoding (through onnx-proto / protobufjs), and the conversion between
// TensorProto and the IR's Tensor: raw_data, the typed fields, and external data files.
import { UserError } from '../util/errors.js';
import { closeSync, openSync, readFileSync, readSync, realpathSync, statSync } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import onnxPkg from 'onnx-proto';
import { Tensor } from '../ir/tensor.js';
import { ELEMENT_TYPES, type ElementType } from '../ir/types.js';
import { checkTensorSize, elide, formatCount } from '../util/limits.js';

export const onnx = onnxPkg.onnx;
export type ModelProto = onnxPkg.onnx.ModelProto;
export type GraphProto = onnxPkg.onnx.IGraphProto;
export type NodeProto = onnxPkg.onnx.INodeProto;
export type TensorProto = onnxPkg.onnx.ITensorProto;
export type AttributeProto = onnxPkg.onnx.IAttributeProto;
export type ValueInfoProto = onnxPkg.onnx.IValueInfoProto;

/** An error in an ONNX file or its data: shown to the user as one line. */
export class OnnxError extends UserError {
  override name = 'OnnxError';
}

/** ONNX TensorProto.DataType codes and the element type each maps to (undefined: not supported). */
export const ONNX_DTYPES: Readonly<Record<number, { name: string; type?: ElementType }>> = {
  1: { name: 'FLOAT', type: 'f32' },
  2: { name: 'UINT8', type: 'u8' },
  3: { name: 'INT8', type: 'i8' },
  4: { name: 'UINT16', type: 'u16' },
  5: { name: 'INT16', type: 'i16' },
  6: { name: 'INT32', type: 'i32' },
  7: { name: 'INT64', type: 'i64' },
  8: { name: 'STRING' },
  9: { name: 'BOOL', type: 'bool' },
  10: { name: 'FLOAT16', type: 'f16' },
  11: { name: 'DOUBLE', type: 'f64' },
  12: { name: 'UINT32', type: 'u32' },
  13: { name: 'UINT64', type: 'u64' },
  14: { name: 'COMPLEX64' },
  15: { name: 'COMPLEX128' },
  16: { name: 'BFLOAT16' },
  17: { name: 'FLOAT8E4M3FN' },
  18: { name: 'FLOAT8E4M3FNUZ' },
  19: { name: 'FLOAT8E5M2' },
  20: { name: 'FLOAT8E5M2FNUZ' },
  21: { name: 'UINT4' },
  22: { name: 'INT4' },
  23: { name: 'FLOAT4E2M1' },
};

export function dtypeName(code: number | null | undefined): string {
  return ONNX_DTYPES[code ?? 0]?.name ?? `data type ${code ?? 0}`;
}

/** The IR element type of an ONNX data type, or an OnnxError naming what is not supported. */
export function elementTypeOf(code: number | null | undefined, what: string): ElementType {
  const t = ONNX_DTYPES[code ?? 0]?.type;
  if (!t) throw new OnnxError(`${what}: element type ${dtypeName(code)} is not supported (supported: ${supportedDtypes()})`);
  return t;
}

const DTYPE_CODES = new Map<ElementType, number>(Object.entries(ONNX_DTYPES).flatMap(([code, d]) => (d.type ? [[d.type, Number(code)] as const] : [])));

export function onnxDtypeOf(t: ElementType): number {
  const code = DTYPE_CODES.get(t);
  if (code === undefined) throw new Error(`no ONNX data type for ${t}`);
  return code;
}

function supportedDtypes(): string {
  return Object.values(ONNX_DTYPES).filter((d) => d.type).map((d) => d.name).join(', ');
}

/** protobufjs gives int64 fields as numbers or Long objects. */
export function toNumber(v: number | { toNumber(): number } | null | undefined): number {
  if (v === null || v === undefined) return 0;
  return typeof v === 'number' ? v : v.toNumber();
}
export function toBigInt(v: number | { toString(): string } | null | undefined): bigint {
  if (v === null || v === undefined) return 0n;
  return typeof v === 'number' ? BigInt(v) : BigInt(v.toString());
}

/** Decodes a model file, with clear errors for files that are not ONNX or are cut short. */
export function decodeModel(bytes: Uint8Array, file: string): ModelProto {
  if (bytes.byteLength === 0) throw new OnnxError(`${file}: the file is empty, not an ONNX model`);
  let m: ModelProto;
  try {
    m = onnx.ModelProto.decode(bytes);
  } catch (e) {
    const msg = (e as Error).message;
    const truncated = /index out of range|premature end/i.test(msg);
    throw new OnnxError(`${file}: ${truncated ? 'the file is truncated or is not an ONNX model' : 'not an ONNX model'} (protobuf: ${msg})`);
  }
  if (!m.graph || (m.graph.node?.length ?? 0) === 0 && (m.graph.output?.length ?? 0) === 0) {
    throw new OnnxError(`${file}: not an ONNX model (no graph with nodes or outputs found)`);
  }
  return m;
}

export interface TensorSource {
  /** Folder that external data locations are relative to. */
  readonly baseDir?: string;
  /** What to call the tensor in errors. */
  readonly what: string;
}

/** Reads a TensorProto into a Tensor: raw_data, typed fields or external data. */
export function tensorFromProto(tp: TensorProto, src: TensorSource): Tensor {
  const what = src.what;
  const et = elementTypeOf(tp.dataType, what);
  const shape = (tp.dims ?? []).map((d) => toNumber(d));
  const dimsText = () => elide(shape.map((d) => formatCount(d)).join(', '));
  if (shape.some((d) => d < 0 || !Number.isSafeInteger(d))) throw new OnnxError(`${what}: bad dims [${dimsText()}] (each must be an integer from 0 to 2^53)`);
  // Before anything is allocated or read: a shape over the limits is one LimitError.
  checkTensorSize(shape, ELEMENT_TYPES[et].bytes, what);
  const count = shape.reduce((a, b) => a * b, 1);
  const bytesNeeded = count * ELEMENT_TYPES[et].bytes;
  const sizeError = (found: string) =>
    new OnnxError(`${what}: declared shape [${dimsText()}] of ${dtypeName(tp.dataType)} needs ${count} elements (${bytesNeeded} bytes), the data has ${found}`);
  if (tp.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL) {
    const bytes = readExternal(tp, src, bytesNeeded);
    return Tensor.fromBytes(et, shape, bytes);
  }
  if (tp.rawData && tp.rawData.byteLength > 0) {
    if (tp.rawData.byteLength !== bytesNeeded) throw sizeError(`${tp.rawData.byteLength} bytes`);
    return Tensor.fromBytes(et, shape, tp.rawData);
  }
  const num = (v: unknown) => toNumber(v as number);
  const big = (v: unknown) => toBigInt(v as number);
  const [values, field, conv]: [ArrayLike<unknown>, string, (v: unknown) => number | bigint] =
    et === 'f32' ? [tp.floatData ?? [], 'float_data', num]
    : et === 'f64' ? [tp.doubleData ?? [], 'double_data', num]
    : et === 'i64' ? [tp.int64Data ?? [], 'int64_data', big]
    : et === 'u64' ? [tp.uint64Data ?? [], 'uint64_data', (v) => BigInt.asUintN(64, big(v))]
    : et === 'u32' ? [tp.uint64Data ?? [], 'uint64_data', num]
    : et === 'bool' ? [tp.int32Data ?? [], 'int32_data', (v) => (num(v) ? 1 : 0)]
    : [tp.int32Data ?? [], 'int32_data', num]; // i32, i16, i8, u16, u8, f16 (as bits)
  // The count is checked before allocating, so a small file cannot declare a huge tensor.
  if (values.length !== count) throw sizeError(`${values.length} values in ${field}`);
  const t = Tensor.zeros(et, shape);
  const d = t.data as unknown as { [i: number]: number | bigint };
  for (let i = 0; i < count; i++) d[i] = conv(values[i]);
  return t;
}

function readExternal(tp: TensorProto, src: TensorSource, bytesNeeded: number): Uint8Array {
  const kv = new Map((tp.externalData ?? []).map((e) => [e.key ?? '', e.value ?? '']));
  const location = kv.get('location');
  if (!location) throw new OnnxError(`${src.what}: external data without a 'location'`);
  const loc = elide(location);
  if (!src.baseDir) throw new OnnxError(`${src.what}: external data '${elide(loc)}' needs the model's folder`);
  if (isAbsolute(location) || /^[a-zA-Z]:[\\/]/.test(location)) {
    throw new OnnxError(`${src.what}: external data location '${elide(loc)}' is absolute; it must be relative to the model's folder`);
  }
  let base: string;
  try {
    base = realpathSync(src.baseDir);
  } catch (e) {
    throw new OnnxError(`${src.what}: external data '${elide(loc)}': the model's folder '${src.baseDir}' cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  const path = resolve(base, location);
  const inside = (p: string) => {
    const r = relative(base, p);
    return r !== '' && !r.startsWith('..' + sep) && r !== '..' && !isAbsolute(r);
  };
  if (!inside(path)) throw new OnnxError(`${src.what}: external data location '${elide(loc)}' escapes the model's folder`);
  let real: string;
  try {
    real = realpathSync(path);
  } catch {
    throw new OnnxError(`${src.what}: external data file '${elide(loc)}' not found next to the model`);
  }
  if (!inside(real)) throw new OnnxError(`${src.what}: external data location '${elide(loc)}' escapes the model's folder (through a link)`);
  const offset = Number(kv.get('offset') ?? 0);
  const length = kv.has('length') ? Number(kv.get('length')) : bytesNeeded;
  if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(length) || length < 0) throw new OnnxError(`${src.what}: bad external data offset/length`);
  const st = statSync(real);
  if (!st.isFile()) throw new OnnxError(`${src.what}: external data location '${elide(loc)}' is ${st.isDirectory() ? 'a directory' : 'not a regular file'}, not a data file`);
  const size = st.size;
  if (offset + length > size) throw new OnnxError(`${src.what}: external data '${elide(loc)}' has ${size} bytes, offset ${offset} + length ${length} is past its end`);
  if (length !== bytesNeeded) throw new OnnxError(`${src.what}: external data length ${length} does not match the ${bytesNeeded} bytes its shape needs`);
  // Only the tensor's own bytes are read: one data file often holds every weight of the model.
  const out = new Uint8Array(length);
  let fd: number | undefined;
  try {
    fd = openSync(real, 'r');
    for (let done = 0; done < length; ) {
      const n = readSync(fd, out, done, length - done, offset + done);
      if (n === 0) throw new OnnxError(`${src.what}: external data '${elide(loc)}' ended after ${offset + done} bytes, ${length - done} bytes short`);
      done += n;
    }
  } catch (e) {
    if (e instanceof OnnxError) throw e;
    throw new OnnxError(`${src.what}: cannot read external data '${elide(loc)}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
  return out;
}

/** A TensorProto holding t in raw_data. */
export function tensorToProto(t: Tensor, name?: string): onnxPkg.onnx.TensorProto {
  return onnx.TensorProto.create({
    dims: [...t.shape],
    dataType: onnxDtypeOf(t.elementType),
    rawData: new Uint8Array(t.bytes()),
    ...(name !== undefined ? { name } : {}),
  });
}

export function encodeTensor(t: Tensor, name?: string): Uint8Array {
  return onnx.TensorProto.encode(tensorToProto(t, name)).finish();
}

/** Reads a `.pb` TensorProto file (the format of ONNX test data); returns the tensor and its name. */
export function readTensorFile(path: string): { tensor: Tensor; name: string } {
  let tp: onnxPkg.onnx.TensorProto;
  try {
    tp = onnx.TensorProto.decode(readFileSync(path));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new OnnxError(`${path}: no such file`);
    if (code === 'EISDIR') throw new OnnxError(`${path}: is a directory, not a TensorProto file`);
    if (code) throw new OnnxError(`${path}: cannot read (${code})`);
    throw new OnnxError(`${path}: not a TensorProto file (${(e as Error).message})`);
  }
  return { tensor: tensorFromProto(tp, { what: path }), name: tp.name ?? '' };
}
