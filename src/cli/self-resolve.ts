// Makes `import ... from 'sparsec'` in user pass files resolve to this copy of sparsec, even when the
// file sits in a folder with no node_modules (and so that there is one copy of the IR classes).
import { register } from 'node:module';

const INDEX = new URL('../index.ts', import.meta.url).href;

const HOOKS = `
export async function resolve(specifier, context, next) {
  if (specifier === 'sparsec') return { url: ${JSON.stringify(INDEX)}, shortCircuit: true };
  return next(specifier, context);
}
`;

let done = false;
export function registerSelfResolve(): void {
  if (done) return;
  done = true;
  register(`data:text/javascript,${encodeURIComponent(HOOKS)}`);
}
