/**
 * CSV import benchmark (not a test; issue 10): rows/s of one import of a 50,000-row file,
 * against the client-creation limit of the same run — POST /api/clients with 32 in flight.
 *
 *   npm run bench:import                       # 50,000 rows; baseline 3,000 POSTs
 *   npm run bench:import -- --rows 10000 --baseline 1000
 *
 * Both sides create clients that join no plan (the import's default), on the same stack
 * (gateway, crm, projector, scheduler; each a process of its own). The import's rate is
 * counted from the upload until the job says done and until every client is in the read
 * model (the projector caught up); the baseline's from the first POST to the last answer
 * (each answer waits for its read model: read-your-writes). 3% of the rows are bad and 1%
 * repeat an earlier email, as a real spreadsheet's would.
 */
import { cpus, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import { startStack } from '@realtoros/testing';
import { sql } from 'kysely';
import { httpClient, inFlight } from './http-load.ts';
import { done, fmt, progress } from './progress.ts';
import { recordSummary } from './summary.ts';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '50000' },
    baseline: { type: 'string', default: '3000' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help) {
  console.log('npm run bench:import [-- --rows 50000 --baseline 3000]');
  process.exit(0);
}
const rows = Number(values.rows);
const baselineN = Number(values.baseline);

console.log(
  `import: ${fmt(rows)} rows vs ${fmt(baselineN)} POST /api/clients (32 in flight) · ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB`,
);
progress('starting nats-server, Postgres database, projector, crm, scheduler, gateway…', true);
const stack = await startStack(['projector', 'crm', 'scheduler', 'gateway'], { LOG_LEVEL: 'error' });
const http = httpClient(stack.api, 32);
try {
  const signUp = async (name: string) => {
    const r = await http.call('POST', '/api/auth/signup', {
      email: `${name}-${Date.now()}@example.com`,
      password: 'correct-horse-1',
      name,
    });
    const { token, agent } = JSON.parse(r.body) as { token: string; agent: { id: string } };
    return { auth: { authorization: `Bearer ${token}` }, token, agentId: agent.id };
  };

  // Baseline: the client-creation limit through the API.
  const base = await signUp('baseline');
  const started = performance.now();
  let notCreated = 0;
  await inFlight(
    baselineN,
    32,
    async (i) => {
      const r = await http.call('POST', '/api/clients', { name: `Base ${i}`, email: `base${i}@example.com`, plan_id: null }, base.auth);
      if (r.status !== 201) notCreated++;
    },
    (n) => {
      if (n % 250 === 0) progress(`baseline POST /api/clients ${fmt(n)}/${fmt(baselineN)}`);
    },
  );
  const baseline = baselineN / ((performance.now() - started) / 1000);
  done(`baseline  POST /api/clients, 32 in flight: ${fmt(baseline)} clients/s · ${notCreated} not 201`);

  // The import: one file, one request, then the job.
  const agent = await signUp('importer');
  const lines = ['First Name,Last Name,Email,Phone,Stage,Source'];
  let bad = 0;
  for (let i = 1; i <= rows; i++) {
    const isBad = i % 33 === 0;
    const repeat = !isBad && i % 100 === 0;
    if (isBad) bad++;
    const email = isBad ? `row${i}-at-example.com` : repeat ? `row${i - 1}@example.com` : `row${i}@example.com`;
    lines.push(`Ann${i},Lee,${email},555-${i},${i % 7 === 0 ? 'Qualified' : 'lead'},open house`);
  }
  const file = `${lines.join('\r\n')}\r\n`;
  const t0 = performance.now();
  const res = await fetch(`${stack.api}/api/imports`, {
    method: 'POST',
    headers: { ...agent.auth, 'content-type': 'text/csv' },
    body: file,
  });
  if (res.status !== 202) throw new Error(`POST /api/imports answered ${res.status}: ${await res.text()}`);
  const { id } = (await res.json()) as { id: string };
  const accepted = performance.now() - t0;
  type Job = { status: string; done: number; created: number; skipped: number; failed: number; total: number };
  let job: Job;
  for (;;) {
    job = (await (await fetch(`${stack.api}/api/imports/${id}`, { headers: agent.auth })).json()) as Job;
    const s = (performance.now() - t0) / 1000;
    progress(`import ${job.status} · ${fmt(job.done)}/${fmt(job.total)} rows · ${fmt(job.done / s)} rows/s`);
    if (job.status === 'done' || job.status === 'failed') break;
    await new Promise((r) => setTimeout(r, 250));
  }
  const jobSeconds = (performance.now() - t0) / 1000;
  if (job.status !== 'done') throw new Error(`the import ${job.status}`);
  let visible = 0;
  for (;;) {
    const { rows: r } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM clients WHERE agent_id = ${agent.agentId}`.execute(
      stack.database.db,
    );
    visible = r[0]?.n ?? 0;
    if (visible >= job.created) break;
    progress(`read model: ${fmt(visible)}/${fmt(job.created)} clients`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const visibleSeconds = (performance.now() - t0) / 1000;
  const rate = rows / visibleSeconds;
  done(`upload answered (202) in ${accepted.toFixed(0)} ms`);
  done(
    `import    ${fmt(rows)} rows: job done in ${jobSeconds.toFixed(1)} s (${fmt(rows / jobSeconds)} rows/s); every client in the read model after ${visibleSeconds.toFixed(1)} s → ${fmt(rate)} rows/s`,
  );
  done(
    `          created ${fmt(job.created)} · skipped ${fmt(job.skipped)} (repeated emails) · failed ${fmt(job.failed)} (expected ${fmt(bad)})`,
  );
  done(`ratio     ${((rate / baseline) * 100).toFixed(0)}% of the same run's POST /api/clients rate (goal ≥ 50%)`);
  recordSummary('import', [
    {
      what: `CSV import, ${fmt(rows)} rows (3% bad), until every client is in the read model`,
      figure: `${fmt(rate)} rows/s · job ${jobSeconds.toFixed(1)} s · visible ${visibleSeconds.toFixed(1)} s`,
      baseline: `POST /api/clients, 32 in flight ${fmt(baseline)}/s`,
      ratio: (rate / baseline) * 100,
      goal: '≥ 50%',
    },
  ]);
} finally {
  http.close();
  await stack.dispose();
}
