// Element types on the wasm target: bytes per element, and the names the loader and manifest use.
// No binaryen here: the runtime side (loader checks, `sparsec run`) reads these too.
import type { ElementType } from '../../src/ir/types.js';
import { ELEMENT_TYPES } from '../../src/ir/types.js';
/** Manifest / loader names (those of onnxruntime-web's tensor types). */
export const DTYPE_NAMES = {
  f32: 'float32', f64: 'float64', i8: 'int8', u8: 'uint8', i16: 'int16', u16: 'uint16',
  i32: 'int32', u32: 'uint32', i64: 'int64', u64: 'uint64', bool: 'bool',
} as const satisfies Partial<Record<ElementType, string>>;
export type WasmElementType = keyof typeof DTYPE_NAMES;
export type DtypeName = (typeof DTYPE_NAMES)[WasmElementType];

export const isWasmType = (et: ElementType): et is WasmElementType => et in DTYPE_NAMES;
export const elemBytes = (et: ElementType): number => ELEMENT_TYPES[et].bytes;

/** Integer element types (bool excluded). */
export const isIntType = (et: WasmElementType): boolean => et !== 'f32' && et !== 'f64' && et !== 'bool';
