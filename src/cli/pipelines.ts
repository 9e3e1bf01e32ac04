// The pass pipeline `sparsec compile` runs when -p is not given (also used by the tests, `npm start` and
// the benchmarks, so that they measure what users get).
export const DEFAULT_COMPILE_PIPELINE = 'canonicalize,fold-batchnorm,mask-propagation,channel-elimination,fuse-bias,fuse-activation{ops=relu+clip},nm-layout,sparsify{max-density=0.55}';
