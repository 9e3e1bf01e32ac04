// Importing a user's pass or config file (TypeScript or JavaScript) from anywhere on disk, such that
// `import ... from 'sparsec'` in it means this running copy of sparsec (one copy of the IR classes),
// even in a folder with no node_modules.
//
// Built (dist/), sparsec is plain JavaScript and Node loads it as is; the user's own TypeScript files,
// and only those, are transformed to JavaScript by esbuild in a module hook. From source, tsx already
// transforms everything and the hook only resolves 'sparsec'.
import { register } from 'node:module';
import { pathToFileURL } from 'node:url';

const FROM_SOURCE = import.meta.url.endsWith('.ts');
/** This copy's entry point: the TypeScript source when sparsec runs from source, else dist's JavaScript. */
const INDEX = new URL(FROM_SOURCE ? '../index.ts' : '../index.js', import.meta.url).href;
/** Marks a user file: loaded as an ES module whatever package (or none) it sits in. */
const MARK = '#sparsec-user-module';

/** Module hooks (they run in Node's hooks thread, so they are a self-contained source text). */
function hooks(): string {
  const esbuild = FROM_SOURCE ? '' : import.meta.resolve('esbuild');
  return `
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
const INDEX = ${JSON.stringify(INDEX)};
const TRANSFORM = ${!FROM_SOURCE};
// A user's TypeScript file: .ts / .mts outside node_modules (declaration files are never imported).
const isUserTs = (url) => TRANSFORM && url.startsWith('file:') && /\\.m?ts$/.test(new URL(url).pathname) && !url.includes('/node_modules/');

export async function resolve(specifier, context, next) {
  if (specifier === 'sparsec') {
    // From source, the rest of the chain (tsx) loads the TypeScript entry as such.
    return TRANSFORM ? { url: INDEX, format: 'module', shortCircuit: true } : next(INDEX, context);
  }
  let r;
  try {
    r = await next(specifier, context);
  } catch (e) {
    // TypeScript's convention: './helper.js' names ./helper.ts.
    if (e?.code !== 'ERR_MODULE_NOT_FOUND' || !context.parentURL || !isUserTs(context.parentURL) || !/^\\.\\.?\\/.*\\.m?js$/.test(specifier)) throw e;
    try {
      r = await next(specifier.replace(/js$/, 'ts'), context);
    } catch {
      throw e;
    }
  }
  if (specifier.endsWith(${JSON.stringify(MARK)}) || isUserTs(r.url)) return { ...r, format: 'module' };
  return r;
}

export async function load(url, context, next) {
  if (!isUserTs(url)) return next(url, context);
  const path = fileURLToPath(url);
  const { transform } = await import(${JSON.stringify(esbuild)});
  try {
    const { code } = await transform(await readFile(path, 'utf8'), { loader: 'ts', format: 'esm', sourcefile: path, sourcemap: 'inline', target: 'node20' });
    return { format: 'module', source: code, shortCircuit: true };
  } catch (e) {
    const first = e?.errors?.[0];
    if (!first) throw e;
    const at = first.location ? \`\${first.location.file}:\${first.location.line}:\${first.location.column + 1}: \` : '';
    throw new SyntaxError(\`\${at}\${first.text}\`);
  }
}
`;
}

let registered = false;

/** Imports the file at an absolute path, with the hooks above in place. */
export async function importUserModule(path: string): Promise<Record<string, unknown>> {
  if (!registered) {
    registered = true;
    register(`data:text/javascript,${encodeURIComponent(hooks())}`);
  }
  return (await import(pathToFileURL(path).href + MARK)) as Record<string, unknown>;
}
