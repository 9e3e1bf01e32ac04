// The registry of built-in passes: one line per pass, each defined in its own file.
import type { Pass } from '../src/pass/define.js';
import canonicalize from './canonicalize.js';
import channelElimination from './channel-elimination.js';
import foldBatchnorm from './fold-batchnorm.js';
import fuseActivation from './fuse-activation.js';
import fuseBias from './fuse-bias.js';
import legalizeDropout from './legalize-dropout.js';
import legalizeGemm from './legalize-gemm.js';
import legalizeReduce from './legalize-reduce.js';
import legalizeWindow from './legalize-window.js';
import maskPropagation from './mask-propagation.js';
import nmLayout from './nm-layout.js';
import prune from './prune.js';
import sparsify from './sparsify.js';

export const BUILTIN_PASSES: readonly Pass[] = [canonicalize, foldBatchnorm, fuseBias, fuseActivation, maskPropagation, channelElimination, nmLayout, sparsify, prune, legalizeGemm, legalizeReduce, legalizeDropout, legalizeWindow] as unknown as Pass[];
