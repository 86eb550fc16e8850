/**
 * Every benchmark, one after another, each in a process of its own (a crash or a leak in one
 * cannot skew the next), at the sizes below — chosen so the whole run stays under 15
 * minutes on a 2-core machine — then one summary table: each figure, its same-run baseline
 * and the ratio, with the machine it ran on. The table is printed and written to
 * bench/RESULTS.md (the README quotes it).
 *
 *   npm run bench                       # all of them
 *   npm run bench -- --only write,reads # some
 *   npm run bench -- --list             # names and sizes
 *
 * A benchmark that fails is reported in the table and the run goes on; the exit code is 1
 * when any failed.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { pct, type SummaryRow } from './summary.ts';

type Bench = { name: string; script: string; args: string[] };

/** Sizes for the summary run; each script's own defaults (and flags) give bigger runs. */
const BENCHES: Bench[] = [
  { name: 'write', script: 'write-path.bench.ts', args: ['--n', '4000'] },
  { name: 'fire-lag', script: 'fire-lag.bench.ts', args: [] },
  { name: 'reads', script: 'reads.bench.ts', args: ['--seconds', '3'] },
  { name: 'replay', script: 'replay.bench.ts', args: [] },
  { name: 'emails', script: 'email-pipeline.bench.ts', args: [] },
  { name: 'timers', script: 'timers.bench.ts', args: ['--scenario', 'burst', '--n', '20000'] },
  { name: 'plans', script: 'plans.bench.ts', args: ['--scenario', 'plan', '--n', '5000'] },
  { name: 'webhooks', script: 'webhook-batch.bench.ts', args: [] },
  { name: 'import', script: 'import.bench.ts', args: [] },
  { name: 'login', script: 'login.bench.ts', args: [] },
];

const { values } = parseArgs({ options: { only: { type: 'string' }, list: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } });
if (values.help || values.list) {
  console.log('npm run bench [-- --only name,name]\n');
  for (const b of BENCHES) console.log(`  ${b.name.padEnd(10)} node bench/${b.script} ${b.args.join(' ')}`);
  process.exit(0);
}
const wanted = values.only ? new Set(values.only.split(',')) : null;
const unknown = [...(wanted ?? [])].filter((n) => !BENCHES.some((b) => b.name === n));
if (unknown.length > 0) {
  console.error(`unknown benchmark ${unknown.join(', ')}; --list shows them`);
  process.exit(2);
}

const here = import.meta.dirname;
const dir = mkdtempSync(join(tmpdir(), 'realtoros-bench-'));
type Outcome = { bench: Bench; seconds: number; ok: boolean; rows: SummaryRow[] };
const outcomes: Outcome[] = [];
const startedAll = Date.now();

for (const bench of BENCHES.filter((b) => !wanted || wanted.has(b.name))) {
  const file = join(dir, `${bench.name}.jsonl`);
  const script = resolve(here, bench.script);
  console.log(`\n━━ ${bench.name}: node bench/${bench.script} ${bench.args.join(' ')}  (${elapsed(startedAll)} into the run)`);
  const started = Date.now();
  const ok = existsSync(script) && (await runChild(script, bench.args, file));
  const rows = existsSync(file)
    ? readFileSync(file, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as SummaryRow)
    : [];
  outcomes.push({ bench, seconds: (Date.now() - started) / 1000, ok, rows });
}

const table = summaryTable(outcomes, (Date.now() - startedAll) / 1000);
console.log(`\n${table}`);
if (!wanted) writeFileSync(resolve(here, 'RESULTS.md'), `${table}\n`);
process.exit(outcomes.every((o) => o.ok) ? 0 : 1);

function runChild(script: string, args: string[], summaryFile: string): Promise<boolean> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [script, ...args], {
      stdio: 'inherit',
      env: { ...process.env, BENCH_SUMMARY_FILE: summaryFile },
    });
    child.on('exit', (code) => done(code === 0));
    child.on('error', () => done(false));
  });
}

function elapsed(since: number): string {
  const s = Math.round((Date.now() - since) / 1000);
  return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}

function machine(): string {
  const version = (cmd: string, args: string[]) => {
    try {
      return execFileSync(cmd, args, { encoding: 'utf8' }).trim().split('\n')[0];
    } catch {
      return 'unknown';
    }
  };
  const cpu = cpus()[0]?.model.trim() ?? 'unknown CPU';
  return [
    `${cpus().length} cores (${cpu}), ${Math.round(totalmem() / 2 ** 30)} GiB`,
    `Node ${process.version}`,
    version('nats-server', ['--version']),
    version('psql', ['--version']),
  ].join(' · ');
}

function summaryTable(all: Outcome[], seconds: number): string {
  const lines = [
    `# Benchmarks — ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC`,
    '',
    `Machine: ${machine()}. Every service, nats-server, Postgres and the load generator share it.`,
    `Whole run: ${Math.round(seconds)} s (\`npm run bench\`).`,
    '',
    '| benchmark | what | RealtorOS | same-run baseline | ratio | goal |',
    '|---|---|---|---|---|---|',
  ];
  for (const o of all) {
    if (!o.ok) lines.push(`| ${o.bench.name} | **failed** after ${Math.round(o.seconds)} s (its output is above) | | | | |`);
    if (o.ok && o.rows.length === 0)
      lines.push(`| ${o.bench.name} | (ran in ${Math.round(o.seconds)} s; prints its figures, no summary rows) | | | | |`);
    for (const r of o.rows) lines.push(`| ${o.bench.name} | ${r.what} | ${r.figure} | ${r.baseline} | ${pct(r.ratio)} | ${r.goal} |`);
  }
  return lines.join('\n');
}
