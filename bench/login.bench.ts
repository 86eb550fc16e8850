/**
 * Log-in benchmark (not a test): POST /api/auth/login through the real gateway (argon2id
 * verify, credential CAS in NATS KV, a new session, a jose token), one at a time and 8 at
 * once, against the bare hash in the same run — argon2id verify alone (today's parameters)
 * and the scrypt the accounts used before (N = 2^15) — so the machine's noise cancels.
 * Issue 13's goal: median log-in under 300 ms with the new parameters.
 *
 *   npm run bench:login                  # 40 sequential, 80 with 8 in flight
 *   npm run bench:login -- --n 100
 */
import { randomBytes, scrypt } from 'node:crypto';
import { cpus, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import { hashPassword, verifyPassword } from '@realtoros/auth';
import { startStack } from '@realtoros/testing';
import { httpClient, inFlight, quantile } from './http-load.ts';
import { done, fmt, progress } from './progress.ts';
import { recordSummary } from './summary.ts';

const { values } = parseArgs({ options: { n: { type: 'string', default: '40' } } });
const n = Number(values.n);

async function timed(times: number, f: () => Promise<unknown>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < times; i++) {
    const t = performance.now();
    await f();
    out.push(performance.now() - t);
  }
  return out;
}

console.log(`log-in: ${n} sequential, ${n * 2} with 8 in flight · ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB`);
progress('baseline: the bare hashes…', true);
const argonHash = await hashPassword('correct-horse-1');
const argon = await timed(n, () => verifyPassword('correct-horse-1', argonHash));
const salt = randomBytes(16);
const scryptMs = await timed(n, () => new Promise((r) => scrypt('correct-horse-1', salt, 32, { N: 1 << 15, r: 8, p: 1, maxmem: 64 << 20 }, r)));
done(`baseline  argon2id verify p50 ${quantile(argon, 0.5).toFixed(0)} ms · old scrypt (N=2^15) p50 ${quantile(scryptMs, 0.5).toFixed(0)} ms`);

progress('starting nats-server, Postgres database, projector, crm, gateway…', true);
const stack = await startStack(['projector', 'crm', 'gateway'], { LOG_LEVEL: 'error' });
const http = httpClient(stack.api, 8);
try {
  const email = `bench-login-${Date.now()}@example.com`;
  const signup = await http.call('POST', '/api/auth/signup', { email, password: 'correct-horse-1', name: 'Bench' });
  if (signup.status !== 201) throw new Error(`signup: ${signup.status} ${signup.body}`);
  const login = () => http.call('POST', '/api/auth/login', { email, password: 'correct-horse-1' });
  await timed(5, login); // warm-up
  const statuses: number[] = [];
  const sequential: number[] = [];
  for (let i = 0; i < n; i++) {
    const r = await login();
    statuses.push(r.status);
    sequential.push(r.ms);
  }
  const parallel: number[] = [];
  const started = performance.now();
  await inFlight(n * 2, 8, async () => {
    const r = await login();
    statuses.push(r.status);
    parallel.push(r.ms);
  });
  const perS = (n * 2) / ((performance.now() - started) / 1000);
  const bad = statuses.filter((s) => s !== 200).length;
  const p50 = quantile(sequential, 0.5);
  done(
    `log-in, one at a time: p50 ${p50.toFixed(0)} ms · p95 ${quantile(sequential, 0.95).toFixed(0)} ms · ratio ${(p50 / quantile(argon, 0.5)).toFixed(1)}× the bare argon2id verify`,
  );
  done(
    `log-in, 8 in flight: ${fmt(perS)}/s · p50 ${quantile(parallel, 0.5).toFixed(0)} ms · p95 ${quantile(parallel, 0.95).toFixed(0)} ms · ${bad} not 200`,
  );
  recordSummary('login', [
    {
      what: 'POST /api/auth/login, one at a time (argon2id m=12 MiB t=3)',
      figure: `p50 ${p50.toFixed(0)} ms · p95 ${quantile(sequential, 0.95).toFixed(0)} ms · 8 in flight ${fmt(perS)}/s · ${bad} not 200`,
      baseline: `argon2id verify alone p50 ${quantile(argon, 0.5).toFixed(0)} ms (old scrypt ${quantile(scryptMs, 0.5).toFixed(0)} ms)`,
      ratio: (quantile(argon, 0.5) / p50) * 100,
      goal: 'median < 300 ms',
    },
  ]);
} finally {
  http.close();
  await stack.dispose();
}
