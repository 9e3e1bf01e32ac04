// A FileCheck-style matcher: CHECK, CHECK-NEXT, CHECK-SAME, CHECK-EMPTY, CHECK-LABEL, CHECK-NOT and CHECK-COUNT-n
// directives with {{regex}} blocks and [[NAME:regex]] / [[NAME]] captures, matched against output.
export type DirectiveKind = 'CHECK' | 'NEXT' | 'SAME' | 'EMPTY' | 'LABEL' | 'NOT';

export interface Directive {
  readonly kind: DirectiveKind;
  readonly pattern: string;
  /** 1-based line in the test file. */
  readonly line: number;
}

export interface CheckFailure {
  readonly directive: Directive;
  readonly message: string;
  /** Output lines near where the directive should have matched, with 1-based output line numbers. */
  readonly nearest: readonly { line: number; text: string }[];
}

const DIRECTIVE = (prefix: string) => new RegExp(`^\\s*//\\s*${prefix}(-NEXT|-SAME|-EMPTY|-LABEL|-NOT|-COUNT-\\d+)?:(.*)$`);
const ANY_SUFFIX = (prefix: string) => new RegExp(`^\\s*//\\s*${prefix}-([A-Za-z0-9-]+):`);

/** Reads the directives with the given prefix from a test file's lines (`firstLine` is the 1-based number of lines[0]). */
export function parseDirectives(lines: readonly string[], prefix = 'CHECK', firstLine = 1): Directive[] {
  const re = DIRECTIVE(prefix);
  const out: Directive[] = [];
  lines.forEach((l, i) => {
    const m = re.exec(l);
    if (!m) {
      const bad = ANY_SUFFIX(prefix).exec(l);
      if (bad) throw new Error(`line ${firstLine + i}: unknown directive ${prefix}-${bad[1]} (known: ${prefix}, -NEXT, -SAME, -EMPTY, -LABEL, -NOT, -COUNT-<n>)`);
      return;
    }
    const pattern = (m[2] ?? '').trim();
    const count = /^-COUNT-(\d+)$/.exec(m[1] ?? '');
    if (count) {
      // CHECK-COUNT-n: the pattern n times in a row, each after the previous match.
      for (let k = 0; k < Number(count[1]); k++) out.push({ kind: 'CHECK', pattern, line: firstLine + i });
      return;
    }
    const kind = (m[1]?.slice(1) ?? 'CHECK') as DirectiveKind;
    out.push({ kind, pattern, line: firstLine + i });
  });
  return out;
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Compiles a pattern against the variables known so far; new captures become named groups. */
function compile(p: string, vars: ReadonlyMap<string, string>): { re: RegExp; defs: string[] } {
  let src = '';
  const defs: string[] = [];
  let i = 0;
  const literal = (s: string) => escapeRe(s).replace(/[ \t]+/g, '[ \\t]+');
  while (i < p.length) {
    const rx = p.indexOf('{{', i), cap = p.indexOf('[[', i);
    const next = [rx, cap].filter((x) => x >= 0).sort((a, b) => a - b)[0];
    if (next === undefined) {
      src += literal(p.slice(i));
      break;
    }
    src += literal(p.slice(i, next));
    if (next === rx) {
      const end = p.indexOf('}}', rx + 2);
      if (end < 0) throw new Error(`unclosed {{ in pattern: ${p}`);
      src += `(?:${p.slice(rx + 2, end)})`;
      i = end + 2;
    } else if (!/^[A-Za-z_]/.test(p.slice(cap + 2, cap + 3))) {
      // `[[` not followed by a variable name is literal text (nested dense literals).
      src += literal('[[');
      i = cap + 2;
    } else {
      const end = p.indexOf(']]', cap + 2);
      if (end < 0) throw new Error(`unclosed [[ in pattern: ${p}`);
      const body = p.slice(cap + 2, end);
      const colon = body.indexOf(':');
      const name = colon >= 0 ? body.slice(0, colon) : body;
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`bad variable name '${name}' in pattern: ${p}`);
      if (colon >= 0) {
        if (defs.includes(name)) throw new Error(`variable '${name}' is defined twice in one pattern: ${p}`);
        defs.push(name);
        src += `(?<${name}>${body.slice(colon + 1)})`;
      } else if (defs.includes(name)) src += `\\k<${name}>`;
      else {
        const v = vars.get(name);
        if (v === undefined) throw new Error(`variable '${name}' is used before it is defined: ${p}`);
        src += escapeRe(v);
      }
      i = end + 2;
    }
  }
  try {
    return { re: new RegExp(src), defs };
  } catch (e) {
    throw new Error(`bad regex in pattern '${p}': ${(e as Error).message}`);
  }
}

interface Match {
  line: number;
  start: number;
  end: number;
  groups: Record<string, string>;
}

function matchIn(re: RegExp, lines: readonly string[], from: { line: number; col: number }, toLine: number, onlyLine?: number): Match | undefined {
  const first = onlyLine ?? from.line;
  const last = onlyLine ?? toLine - 1;
  for (let l = first; l <= last && l < lines.length; l++) {
    const col = l === from.line ? from.col : 0;
    const text = lines[l]!.slice(col);
    const m = re.exec(text);
    if (m) return { line: l, start: col + m.index, end: col + m.index + m[0].length, groups: { ...(m.groups ?? {}) } };
  }
  return undefined;
}

/** Bigram similarity of two lines, for pointing at the nearest miss. */
function similarity(a: string, b: string): number {
  const grams = (s: string) => {
    const m = new Map<string, number>();
    const t = s.trim();
    for (let i = 0; i + 1 < t.length; i++) m.set(t.slice(i, i + 2), (m.get(t.slice(i, i + 2)) ?? 0) + 1);
    return m;
  };
  const ga = grams(a), gb = grams(b);
  let both = 0, total = 0;
  for (const [g, n] of ga) {
    both += Math.min(n, gb.get(g) ?? 0);
    total += n;
  }
  for (const n of gb.values()) total += n;
  return total ? (2 * both) / total : 0;
}

function nearest(pattern: string, lines: readonly string[], from: number, to: number): { line: number; text: string }[] {
  const plain = pattern.replace(/\{\{.*?\}\}|\[\[.*?\]\]/g, '');
  return lines
    .slice(from, to)
    .map((text, i) => ({ line: from + i + 1, text, score: similarity(plain, text) }))
    .filter((x) => x.text.trim() !== '')
    .sort((a, b) => b.score - a.score || a.line - b.line)
    .slice(0, 3)
    .map(({ line, text }) => ({ line, text }));
}

/** Matches the directives against the output; returns the first failure, or undefined when all hold. */
export function check(output: string, directives: readonly Directive[]): CheckFailure | undefined {
  const lines = output.split('\n');
  if (lines.length > 1 && lines[lines.length - 1] === '') lines.pop();
  const vars = new Map<string, string>();
  const fail = (d: Directive, message: string, from: number, to: number): CheckFailure => ({ directive: d, message, nearest: nearest(d.pattern, lines, from, to) });

  // Labels split the output into regions; find them first, in order.
  const labelAt = new Map<Directive, number>();
  let scan = 0;
  for (const d of directives) {
    if (d.kind !== 'LABEL') continue;
    let re: RegExp;
    try {
      re = compile(d.pattern, new Map()).re;
    } catch (e) {
      return fail(d, (e as Error).message, 0, 0);
    }
    const m = matchIn(re, lines, { line: scan, col: 0 }, lines.length);
    if (!m) return fail(d, `CHECK-LABEL not found after output line ${scan + 1}`, scan, lines.length);
    labelAt.set(d, m.line);
    scan = m.line + 1;
  }

  let pos = { line: 0, col: 0 };
  let lastLine = -1; // line of the previous positive match
  let regionEnd = lines.length;
  let nots: Directive[] = [];
  const checkNots = (upTo: { line: number; col: number }): CheckFailure | undefined => {
    for (const n of nots) {
      const { re } = compile(n.pattern, vars);
      for (let l = pos.line; l <= Math.min(upTo.line, lines.length - 1); l++) {
        const text = lines[l]!.slice(l === pos.line ? pos.col : 0, l === upTo.line ? upTo.col : undefined);
        if (re.test(text)) return { directive: n, message: `CHECK-NOT pattern found at output line ${l + 1}`, nearest: [{ line: l + 1, text: lines[l]! }] };
      }
    }
    nots = [];
    return undefined;
  };

  for (let k = 0; k < directives.length; k++) {
    const d = directives[k]!;
    if (d.kind === 'NOT') {
      nots.push(d);
      continue;
    }
    if (d.kind === 'LABEL') {
      const line = labelAt.get(d)!;
      const next = directives.slice(k + 1).find((x) => x.kind === 'LABEL');
      regionEnd = next ? labelAt.get(next)! : lines.length;
      const nf = checkNots({ line, col: 0 });
      if (nf) return nf;
      const { re, defs } = compile(d.pattern, vars);
      const m = matchIn(re, lines, { line, col: 0 }, line + 1, line)!;
      defs.forEach((n) => vars.set(n, m.groups[n] ?? ''));
      pos = { line: m.line, col: m.end };
      lastLine = m.line;
      continue;
    }
    if (d.kind === 'EMPTY') {
      const l = lastLine + 1;
      if (l >= lines.length || lines[l]!.trim() !== '') return fail(d, `CHECK-EMPTY: output line ${l + 1} is not empty`, l, l + 1);
      pos = { line: l, col: lines[l]!.length };
      lastLine = l;
      continue;
    }
    let compiled: { re: RegExp; defs: string[] };
    try {
      compiled = compile(d.pattern, vars);
    } catch (e) {
      return fail(d, (e as Error).message, pos.line, regionEnd);
    }
    let m: Match | undefined;
    if (d.kind === 'CHECK') m = matchIn(compiled.re, lines, pos, regionEnd);
    else if (d.kind === 'NEXT') m = lastLine + 1 < regionEnd ? matchIn(compiled.re, lines, { line: lastLine + 1, col: 0 }, regionEnd, lastLine + 1) : undefined;
    else m = lastLine >= 0 ? matchIn(compiled.re, lines, pos, regionEnd, lastLine) : undefined;
    if (!m) {
      const what = d.kind === 'CHECK' ? 'expected string not found' : d.kind === 'NEXT' ? `not on the next line (output line ${lastLine + 2})` : `not on the same line (output line ${lastLine + 1})`;
      const from = d.kind === 'CHECK' ? pos.line : Math.max(0, lastLine);
      return fail(d, `CHECK${d.kind === 'CHECK' ? '' : '-' + d.kind}: ${what}`, from, d.kind === 'CHECK' ? regionEnd : Math.min(regionEnd, lastLine + 3));
    }
    const nf = checkNots({ line: m.line, col: m.start });
    if (nf) return nf;
    compiled.defs.forEach((n) => vars.set(n, m.groups[n] ?? ''));
    pos = { line: m.line, col: m.end };
    lastLine = m.line;
  }
  return checkNots({ line: regionEnd - 1, col: lines[regionEnd - 1]?.length ?? 0 });
}

/** Turns output into CHECK lines: SSA names become captures, function headers become CHECK-LABEL. */
export function generateChecks(output: string, prefix = 'CHECK', anyOf: readonly string[] = []): string[] {
  const lines = output.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const vars = new Map<string, string>(); // SSA name -> variable
  const taken = new Set<string>();
  const varFor = (ssa: string): [string, boolean] => {
    const known = vars.get(ssa);
    if (known) return [known, false];
    let v = ssa.toUpperCase().replace(/[^A-Z0-9_]/g, '_');
    if (!/^[A-Z_]/.test(v)) v = `V${v}`;
    let name = v;
    for (let k = 1; taken.has(name); k++) name = `${v}_${k}`;
    taken.add(name);
    vars.set(ssa, name);
    return [name, true];
  };
  const out: string[] = [];
  let prevEmittedLine = -2;
  lines.forEach((line, i) => {
    if (line === 'module {' || (line === '}' && lines.slice(i + 1).every((l) => l.trim() === '' || !l.startsWith(' ')) && i === lines.lastIndexOf('}'))) return;
    if (line.trim() === '') {
      if (out.length) out.push(`// ${prefix}-EMPTY:`);
      prevEmittedLine = i;
      return;
    }
    const isFunc = /^\s*func @/.test(line);
    if (isFunc) {
      vars.clear();
      taken.clear();
    }
    let text = line.trim().replace(/\{\{|\[\[/g, (m) => `{{${escapeRe(m)}}}`);
    for (const a of anyOf) text = text.split(a).join('{{.*}}'); // e.g. the test file's own path
    text = text.replace(/%([A-Za-z0-9_$.-]+)/g, (_, ssa: string) => {
      const [v, fresh] = varFor(ssa);
      return fresh ? `%[[${v}:[A-Za-z0-9_$.-]+]]` : `%[[${v}]]`;
    });
    const kind = isFunc ? '-LABEL' : out.length === 0 || prevEmittedLine !== i - 1 ? '' : '-NEXT';
    out.push(`// ${prefix}${kind}: ${text}`);
    prevEmittedLine = i;
  });
  return out;
}
