// Uses sparsec as a library from plain JavaScript: builds a function, runs a built-in pass, prints the IR.
import { Builder, Func, Module, TensorType, parsePipeline, passRegistry, printModule, runPipeline, verifyOrThrow } from 'sparsec';
const m = new Module();
const f = m.addFunc(new Func('main'));
const x = f.addArgument(new TensorType([2, 3], 'f32'), 'x');
const b = new Builder(f);
b.ret([b.op('nn.relu', [b.op('nn.identity', [x])])]);
verifyOrThrow(m, 'consumer.mjs');
const [record] = runPipeline(m, parsePipeline('canonicalize', passRegistry()));
console.log(`canonicalize: ${[...record.stats].map(([k, v]) => `${v} ${k}`).join(', ')}`);
console.log(printModule(m));
