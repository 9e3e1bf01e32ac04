// sparsec's public API: what `import ... from 'sparsec'` gives a user writing passes or tools.
export * from './ir/index.js';
export { allOpDefs, getOpDef, opDefForOnnx, DIALECTS } from './dialects/index.js';
