// The IR core's public surface: structure, types, attributes, text form, verifier, builder.
export * from './attributes.js';
export * from './builder.js';
export * from './core.js';
export * from './encodings.js';
export { formatFloat } from './format.js';
export * from './opdef.js';
export { parseAttr, parseModule, parseType, ParseError, type ParseOptions } from './parser.js';
export { printModule, printOp, valueName, denseBody, type PrintOptions } from './printer.js';
export * from './sparse-data.js';
export * from './tensor.js';
export * from './types.js';
export * from './verifier.js';
export { cloneFunc, cloneModule } from './clone.js';
