// Renders docs/ops.md from the op tables and the encoding table, so the reference never drifts
// from the code. `npm run docs` writes it; a unit test fails when the file is stale.
import { DIALECTS } from '../dialects/index.js';
import { ENCODINGS } from '../ir/encodings.js';
import type { AttrSpec, OpDef, OperandSpec, ResultSpec } from '../ir/opdef.js';

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

function attrDefault(a: AttrSpec): string {
  if (a.required) return 'required';
  if (a.default === undefined) return 'absent';
  if (typeof a.default === 'function') return 'derived';
  return '`' + JSON.stringify(a.default).replace(/,/g, ', ') + '`';
}

function slot(s: OperandSpec | ResultSpec): string {
  const flags = [s.optional ? 'optional' : '', s.variadic ? 'variadic' : ''].filter(Boolean).join(', ');
  return `| \`${s.name}\` | ${s.types ?? 'any'} | ${flags} | ${cell('doc' in s ? (s.doc ?? '') : '')} |`;
}

function renderOp(d: OpDef): string[] {
  const out = [`### \`${d.name}\``, '', d.summary, ''];
  if (d.onnx) out.push(`ONNX: \`${d.onnx}\``, '');
  if (d.example) out.push('```mlir', d.example, '```', '');
  if (d.operands.length) out.push('| operand | element types | | |', '|---|---|---|---|', ...d.operands.map(slot), '');
  if (d.results.length) out.push('| result | element types | | |', '|---|---|---|---|', ...d.results.map(slot), '');
  const attrs = Object.entries(d.attrs);
  if (attrs.length) {
    out.push('| attribute | kind | default | |', '|---|---|---|---|');
    for (const [name, a] of attrs) {
      const doc = [a.doc ?? '', a.oneOf ? `one of ${a.oneOf.map((v) => `\`${v}\``).join(', ')}` : ''].filter(Boolean).join('; ');
      out.push(`| \`${name}\` | ${a.type} | ${attrDefault(a)} | ${cell(doc)} |`);
    }
    out.push('');
  }
  const has = [d.infer ? 'type inference' : '', d.verify ? 'extra verification' : '', d.interpret ? 'reference semantics' : '', d.mask ? 'mask transfer' : ''].filter(Boolean);
  if (has.length) out.push(`Defined: ${has.join(', ')}.`, '');
  return out;
}

export function renderOpsDoc(): string {
  const out = [
    '# Op reference',
    '',
    '<!-- Generated from the op tables in src/dialects by `npm run docs`. Do not edit by hand. -->',
    '',
    'Each op is one table entry (`OpDef` in `src/ir/opdef.ts`): operands, results, an attribute schema with',
    'defaults, type and shape inference, and verification. "derived" defaults depend on the operands (for',
    'example one stride per spatial dimension). Element-type classes: `float` (f16, f32, f64), `int`',
    '(signed and unsigned integers), `index` (i32, i64), `numeric` (all but bool), `any`.',
    '',
    '## Sparse encodings',
    '',
    '| encoding | parameters | meaning |',
    '|---|---|---|',
    ...Object.values(ENCODINGS).map((e) => `| \`#${e.kind}\` | ${Object.entries(e.params).map(([k, v]) => `\`${k}\` (${v})`).join(', ')} | ${cell(e.summary)} |`),
    '',
  ];
  for (const [dialect, ops] of Object.entries(DIALECTS)) {
    out.push(`## Dialect \`${dialect}\``, '');
    out.push(ops.map((d) => `[\`${d.name}\`](#${d.name.replace(/\./g, '')})`).join(' · '), '');
    for (const d of ops) out.push(...renderOp(d));
  }
  return out.join('\n').replace(/\n+$/, '\n');
}
