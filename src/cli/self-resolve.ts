// Makes `import ... from 'sparsec'` in user pass files resolve to this copy of sparsec, even when the
// file sits in a folder with no node_modules (and so that there is one copy of the IR classes).
import { register } from 'node:module';

const INDEX = new URL('../index.ts', import.meta.url).href;

const HOOKS = `
export async function resolve(specifier, context, next) {
  // Resolved by the rest of the chain (tsx), so that the TypeScript file is loaded as such.
  if (specifier === 'sparsec') return next(${JSON.stringify(INDEX)}, context);
  // Pass files are ES modules whatever package (or none) they sit in.
  if (specifier.endsWith('#sparsec-pass')) {
    const r = await next(specifier.slice(0, -'#sparsec-pass'.length), context);
    return { ...r, format: 'module' };
  }
  return next(specifier, context);
}
`;

let done = false;
export function registerSelfResolve(): void {
  if (done) return;
  done = true;
  register(`data:text/javascript,${encodeURIComponent(HOOKS)}`);
}
