// `npm run fuzz`: the time-boxed, seeded fuzzer. Cases run in a child process (worker.ts) so that
// a case over its time or memory limit, or one that kills the process, is caught, recorded and
// followed by a fresh child. Prints counts per input class; findings are written as JSON that
// `npm run fuzz -- --replay FILE` runs again and that src/fuzz/corpus/ keeps as regression tests.
import { fork, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { FUZZ_CLASSES } from './classes.js';
import type { CaseRequest } from './run-case.js';
import { FAILURES, VERDICTS, type CaseResult, type Verdict } from './verdict.js';

const HELP = `Usage: npm run fuzz -- [--minutes M | --count N] [--seed S] [--class NAMES] [--timeout-s T] [--memory-mb MB] [--out DIR] [--replay FILE]

Runs seeded fuzz cases round-robin over the input classes until the time or count is reached.
  --minutes M     stop after M minutes (default 1)
  --count N       stop after N cases per class (overrides --minutes)
  --seed S        first seed (default 1); case i of a class uses seed S + i
  --class NAMES   comma-separated classes (default all): ${FUZZ_CLASSES.map((c) => c.name).join(', ')}
  --timeout-s T   per-case time limit (default 30)
  --memory-mb MB  per-case memory limit, resident set size of the worker (default 3072)
  --out DIR       where findings are written (default .tmp/fuzz)
  --replay FILE   run one saved finding again and print its verdict
  --verbose       print every case's verdict
  --save-all      write every case to --out, not only failures (to add a fixed finding to src/fuzz/corpus/)
Exit code 1 when any case ends in ${FAILURES.join(', ')}.
`;

interface Reply { result: CaseResult; ms: number; rss: number }

class Worker {
  private child: ChildProcess | undefined;
  private ready: Promise<void> | undefined;
  constructor(private readonly memoryMb: number) {}

  private start(): Promise<void> {
    const boot = new URL('../../scripts/run-ts.mjs', import.meta.url).pathname;
    const child = fork(boot, [new URL('./worker.ts', import.meta.url).pathname], {
      execArgv: [`--max-old-space-size=${this.memoryMb}`],
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      serialization: 'advanced',
    });
    child.stderr!.on('data', () => undefined); // drained; V8's own OOM report goes here
    this.child = child;
    return new Promise((res, rej) => {
      child.once('message', () => res());
      child.once('exit', (code) => rej(new Error(`the fuzz worker exited at start (code ${code})`)));
    });
  }

  async run(req: CaseRequest, timeoutMs: number): Promise<Reply> {
    this.ready ??= this.start();
    await this.ready;
    const child = this.child!;
    return new Promise<Reply>((res) => {
      let peak = 0;
      const finish = (r: Reply, kill: boolean) => {
        clearTimeout(timer);
        clearInterval(poll);
        child.removeAllListeners('message');
        child.removeAllListeners('exit');
        if (kill) this.stop();
        res(r);
      };
      const timer = setTimeout(() => finish({ result: { verdict: 'timeout', detail: `over the ${timeoutMs / 1000} s limit` }, ms: timeoutMs, rss: peak }, true), timeoutMs);
      const poll = setInterval(() => {
        const rss = rssOf(child.pid);
        peak = Math.max(peak, rss);
        if (rss > this.memoryMb * 2 ** 20) finish({ result: { verdict: 'over-memory', detail: `resident memory ${Math.round(rss / 2 ** 20)} MiB over the ${this.memoryMb} MiB limit` }, ms: 0, rss }, true);
      }, 100);
      child.once('message', (m: Reply) => finish(m, false));
      child.once('exit', (code, signal) => finish({ result: { verdict: 'crash', detail: `the worker died (${signal ?? `exit code ${code}`}; V8 aborts so when its heap of ${this.memoryMb} MiB is exhausted)` }, ms: 0, rss: peak }, true));
      child.send(req);
    });
  }

  stop(): void {
    this.child?.kill('SIGKILL');
    this.child = undefined;
    this.ready = undefined;
  }
}

function rssOf(pid: number | undefined): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      minutes: { type: 'string' }, count: { type: 'string' }, seed: { type: 'string' }, class: { type: 'string' },
      verbose: { type: 'boolean', short: 'v' }, 'save-all': { type: 'boolean' }, 'timeout-s': { type: 'string' }, 'memory-mb': { type: 'string' }, out: { type: 'string' }, replay: { type: 'string' }, help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const num = (name: string, v: string | undefined, dflt: number, min: number): number => {
    if (v === undefined) return dflt;
    const n = Number(v);
    if (!Number.isFinite(n) || n < min) throw new Error(`--${name} needs a number of at least ${min}, got '${v}'`);
    return n;
  };
  const timeoutMs = num('timeout-s', values['timeout-s'], 30, 1) * 1000;
  const worker = new Worker(num('memory-mb', values['memory-mb'], 3072, 256));
  if (values.replay) {
    const finding = JSON.parse(readFileSync(values.replay, 'utf8')) as { class: string; seed: number; input?: CaseRequest['input'] };
    const reply = await worker.run({ cls: finding.class, seed: finding.seed, ...(finding.input ? { input: finding.input } : {}) }, timeoutMs);
    worker.stop();
    process.stdout.write(`${reply.result.verdict}: ${reply.result.detail}\n`);
    return FAILURES.includes(reply.result.verdict) ? 1 : 0;
  }
  const names = values.class ? values.class.split(',') : FUZZ_CLASSES.map((c) => c.name);
  for (const n of names) if (!FUZZ_CLASSES.some((c) => c.name === n)) throw new Error(`unknown class '${n}' (classes: ${FUZZ_CLASSES.map((c) => c.name).join(', ')})`);
  const count = values.count !== undefined ? num('count', values.count, 1, 1) : Infinity;
  const deadline = Date.now() + num('minutes', values.minutes, 1, 0) * 60_000;
  const seed0 = num('seed', values.seed, 1, 0);
  const out = resolve(values.out ?? '.tmp/fuzz');
  mkdirSync(out, { recursive: true });
  const tally = new Map(names.map((n) => [n, new Map<Verdict, number>(VERDICTS.map((v) => [v, 0]))]));
  const slowest = new Map<string, { ms: number; seed: number }>();
  let failures = 0, total = 0, peakRss = 0;
  const started = Date.now();
  process.stderr.write(`fuzzing ${names.join(', ')} from seed ${seed0}${Number.isFinite(count) ? `, ${count} cases per class` : ` for ${(deadline - started) / 60_000} min`}; findings in ${out}\n`);
  for (let i = 0; i < count && (Number.isFinite(count) || Date.now() < deadline); i++) {
    for (const cls of names) {
      const seed = seed0 + i;
      const reply = await worker.run({ cls, seed }, timeoutMs);
      const v = reply.result.verdict;
      tally.get(cls)!.set(v, tally.get(cls)!.get(v)! + 1);
      total++;
      peakRss = Math.max(peakRss, reply.rss);
      if ((slowest.get(cls)?.ms ?? -1) < reply.ms) slowest.set(cls, { ms: reply.ms, seed });
      if (values.verbose) process.stderr.write(`  ${cls} ${seed} ${v} ${(reply.ms / 1000).toFixed(2)} s: ${reply.result.detail.slice(0, 240)}\n`);
      const file = join(out, `${cls}-${seed}.json`);
      if (FAILURES.includes(v) || values['save-all']) writeFileSync(file, JSON.stringify({ class: cls, seed, ...reply.result }, null, 1) + '\n');
      if (FAILURES.includes(v)) {
        failures++;
        process.stderr.write(`  ${v}: ${cls} seed ${seed}: ${reply.result.detail.slice(0, 300)}\n    (saved to ${file}; rerun: npm run fuzz -- --replay ${file})\n`);
      }
      if (total % 50 === 0) process.stderr.write(`  ${total} cases, ${failures} failures, ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
    }
  }
  worker.stop();
  const w = Math.max(5, ...names.map((n) => n.length));
  const lines = [`${'class'.padEnd(w)}  ${VERDICTS.map((v) => v.padStart(Math.max(v.length, 5))).join('  ')}  slowest`];
  for (const n of names) {
    const t = tally.get(n)!;
    const s = slowest.get(n);
    lines.push(`${n.padEnd(w)}  ${VERDICTS.map((v) => String(t.get(v)).padStart(Math.max(v.length, 5))).join('  ')}  ${s ? `${(s.ms / 1000).toFixed(2)} s (seed ${s.seed})` : '-'}`);
  }
  lines.push(`${total} cases in ${((Date.now() - started) / 1000).toFixed(0)} s; worker peak resident memory ${Math.round(peakRss / 2 ** 20)} MiB; ${failures} failure(s)`);
  process.stdout.write(lines.join('\n') + '\n');
  return failures ? 1 : 0;
}

main().then((code) => process.exit(code), (e: Error) => {
  process.stderr.write(`fuzz: error: ${e.message}\n`);
  process.exit(1);
});
