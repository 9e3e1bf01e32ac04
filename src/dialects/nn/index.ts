// The nn dialect: the normalised graph ops the ONNX importer produces, one table entry each.
import type { OpDef } from '../../ir/opdef.js';
import { ELEMENTWISE_OPS } from './elementwise.js';
import { LINEAR_OPS } from './linear.js';
import { POOL_NORM_OPS } from './pool-norm.js';
import { SHAPE_OPS } from './shape.js';

export const NN_OPS: readonly OpDef[] = [...SHAPE_OPS, ...LINEAR_OPS, ...POOL_NORM_OPS, ...ELEMENTWISE_OPS];
