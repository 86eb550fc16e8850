/**
 * Reads benchmark (not a test): the gateway's reads for an agent with a big book — 10,000
 * clients, 50,000 tasks, 50,000 emails (written straight into the read models: this measures
 * reading them) — with auth and tenancy, 50 in flight, against a bare Fastify + one pg SELECT
 * in the same run.
 *
 *   npm run bench:reads                       # 10k / 50k / 50k, 4 s per route
 *   npm run bench:reads -- --seconds 2 --clients 2000
 *
 * Prints, per route: requests/s, p50, p99, how many answers were not 200 (a 5xx is a bug:
 * a saturated pool must queue or answer 503), and the ratio to the baseline; then the
 * dashboard page's server-side load (`web/src/routes/(app)/+page.server.ts`: its four reads,
 * in process, one after another, p50/p99 of 50).
 */
import { cpus, totalmem } from 'node:os';
import { type Db, sql } from '@realtoros/db';
import { dashboardStats, getSettings, listEmails, upcomingTasks } from '@realtoros/queries';
import { startStack } from '@realtoros/testing';
import { countDashboardSummary } from '../services/projector/src/read-models/dashboard-summary/projection.ts';
import { startFastifyPgBaseline } from './baselines.ts';
import { type Answer, httpClient, quantile } from './http-load.ts';
import { done, fmt, progress } from './progress.ts';
import { recordSummary } from './summary.ts';

export function parseArgs(argv: string[]) {
  const a = { seconds: 4, inFlight: 50, clients: 10_000, tasks: 50_000, emails: 50_000 };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = (argv[i] ?? '').split('=');
    const value = Number(inline ?? argv[++i]);
    if (flag === '--seconds') a.seconds = value;
    else if (flag === '--in-flight') a.inFlight = value;
    else if (flag === '--clients') a.clients = value;
    else if (flag === '--tasks') a.tasks = value;
    else if (flag === '--emails') a.emails = value;
    else throw new Error(`unknown flag ${flag}; see the header of bench/reads.bench.ts`);
  }
  return a;
}

export type RouteFigure = {
  route: string;
  rps: number;
  p50: number;
  p99: number;
  not200: number;
  fivexx: number;
  statuses: Record<number, number>;
};

/** `seconds` of `call` with `limit` in flight. */
async function load(route: string, seconds: number, limit: number, call: (i: number) => Promise<Answer>): Promise<RouteFigure> {
  const latencies: number[] = [];
  let not200 = 0;
  let fivexx = 0;
  let n = 0;
  const statuses: Record<number, number> = {};
  const until = performance.now() + seconds * 1000;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (performance.now() < until) {
        const r = await call(n++);
        latencies.push(r.ms);
        statuses[r.status] = (statuses[r.status] ?? 0) + 1;
        if (r.status !== 200) not200++;
        if (r.status >= 500) fivexx++;
        if (latencies.length % 500 === 0) progress(`${route}: ${fmt(latencies.length)} answers`);
      }
    }),
  );
  const ms = performance.now() - started;
  return {
    route,
    rps: latencies.length / (ms / 1000),
    p50: quantile(latencies, 0.5),
    p99: quantile(latencies, 0.99),
    not200,
    fivexx,
    statuses,
  };
}

/** One agent's big book, straight into the read models (generate_series: seconds, not minutes). */
export async function seed(db: Db, agentId: string, a: ReturnType<typeof parseArgs>) {
  await sql`
    INSERT INTO clients (id, agent_id, name, email, stage, custom_fields, created_at, updated_at)
    SELECT gen_random_uuid(), ${agentId}::uuid, 'Client ' || i, 'client' || i || '@example.com',
           (ARRAY['lead','contacted','qualified','viewing','under_contract','closed','lost'])[1 + i % 7],
           '{}'::jsonb, now() - (i || ' minutes')::interval, now()
    FROM generate_series(1, ${a.clients}) AS i`.execute(db);
  await sql`
    INSERT INTO tasks (id, agent_id, client_id, followup_type, scheduled_for, status, priority, created_at, updated_at)
    SELECT gen_random_uuid(), c.agent_id, c.id, 'Day 1', now() + ((k * 97 % 60) - 30 || ' days')::interval,
           (ARRAY['pending','completed','skipped','failed','cancelled'])[1 + k % 5], 'medium', now(), now()
    FROM (SELECT id, agent_id, row_number() OVER () AS r FROM clients WHERE agent_id = ${agentId}::uuid) c
    CROSS JOIN generate_series(1, ${Math.ceil(a.tasks / a.clients)}) AS k`.execute(db);
  await sql`
    INSERT INTO email_logs (id, agent_id, client_id, to_email, subject, body, status, created_at, sent_at, opened_at, clicked_at)
    SELECT gen_random_uuid(), c.agent_id, c.id, 'x@example.com', 'Hello', 'Body', 'sent',
           now() - ((k * 7 % 45) || ' days')::interval - (c.r || ' seconds')::interval,
           now() - ((k * 7 % 45) || ' days')::interval - (c.r || ' seconds')::interval,
           CASE WHEN k % 3 = 0 THEN now() - ((k * 7 % 45) || ' days')::interval END,
           CASE WHEN k % 9 = 0 THEN now() - ((k * 7 % 45) || ' days')::interval END
    FROM (SELECT id, agent_id, row_number() OVER () AS r FROM clients WHERE agent_id = ${agentId}::uuid) c
    CROSS JOIN generate_series(1, ${Math.ceil(a.emails / a.clients)}) AS k`.execute(db);
  // Rows written without the projector: count them into the dashboard summary as it would have.
  await countDashboardSummary(db, { agentId });
  await sql`VACUUM ANALYZE`.execute(db);
}

export async function readsBench(args = parseArgs(process.argv.slice(2))): Promise<RouteFigure[]> {
  console.log(
    `reads: ${fmt(args.clients)} clients, ${fmt(args.tasks)} tasks, ${fmt(args.emails)} emails · ${args.inFlight} in flight, ${args.seconds} s per route · ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB`,
  );
  progress('starting nats-server, Postgres database, projector, crm, gateway…', true);
  const stack = await startStack(['projector', 'crm', 'gateway'], { LOG_LEVEL: 'error' });
  const http = httpClient(stack.api, args.inFlight);
  try {
    const signup = await http.call('POST', '/api/auth/signup', {
      email: `bench-${Date.now()}@example.com`,
      password: 'correct-horse-1',
      name: 'Bench Agent',
    });
    const { token, agent } = JSON.parse(signup.body) as { token: string; agent: { id: string } };
    const auth = { authorization: `Bearer ${token}` };
    progress('seeding the read models…', true);
    await seed(stack.database.db, agent.id, args);
    const ids = (
      await sql<{ id: string }>`SELECT id FROM clients WHERE agent_id = ${agent.id}::uuid LIMIT 1000`.execute(stack.database.db)
    ).rows.map((r) => r.id);
    done(`seeded one agent: ${fmt(args.clients)} clients, ${fmt(args.tasks)} tasks, ${fmt(args.emails)} emails`);

    const baselineServer = await startFastifyPgBaseline(stack.env.DATABASE_URL!, agent.id);
    const base = httpClient(baselineServer.url, args.inFlight);
    const baseline = await load('baseline Fastify + one pg SELECT', args.seconds, args.inFlight, (i) =>
      base.call('GET', `/client/${ids[i % ids.length]}`),
    );
    base.close();
    await baselineServer.close();
    const line = (f: RouteFigure, ratioTo?: number) =>
      `${f.route.padEnd(44)} ${fmt(f.rps).padStart(6)} rps · p50 ${f.p50.toFixed(0).padStart(4)} ms · p99 ${f.p99.toFixed(0).padStart(5)} ms · ${f.not200} not 200${
        f.not200
          ? ` (${Object.entries(f.statuses)
              .filter(([k]) => k !== '200')
              .map(([k, v]) => `${v}× ${k}`)
              .join(', ')})`
          : ''
      }${ratioTo ? ` · ${((f.rps / ratioTo) * 100).toFixed(0)}% of baseline` : ''}`;
    done(line(baseline));

    const figures = [baseline];
    for (const [route, path] of [
      ['GET /api/clients/{id}', (i: number) => `/api/clients/${ids[i % ids.length]}`],
      ['GET /api/clients?page=1&limit=20', () => '/api/clients?page=1&limit=20'],
      ['GET /api/dashboard/stats', () => '/api/dashboard/stats'],
      ['GET /api/emails?page=1&limit=20', () => '/api/emails?page=1&limit=20'],
    ] as const) {
      const f = await load(route, args.seconds, args.inFlight, (i) => http.call('GET', path(i), undefined, auth));
      figures.push(f);
      done(line(f, baseline.rps));
    }
    // The dashboard page's load, as web/src/routes/(app)/+page.server.ts runs it (reads only).
    const page: number[] = [];
    for (let i = 0; i < 50; i++) {
      const started = performance.now();
      const now = new Date();
      await Promise.all([
        dashboardStats(stack.database.db, agent.id, now),
        upcomingTasks(stack.database.db, agent.id, now, 7, 50),
        listEmails(stack.database.db, agent.id, { page: 1, limit: 5 }),
        getSettings(stack.database.db, agent.id),
      ]);
      page.push(performance.now() - started);
    }
    const pageFigure: RouteFigure = {
      route: 'dashboard page / load (server)',
      rps: 0,
      p50: quantile(page, 0.5),
      p99: quantile(page, 0.99),
      not200: 0,
      fivexx: 0,
      statuses: {},
    };
    figures.push(pageFigure);
    done(`${pageFigure.route.padEnd(44)} p50 ${pageFigure.p50.toFixed(1)} ms · p99 ${pageFigure.p99.toFixed(1)} ms (goal < 300 ms)`);
    return figures;
  } finally {
    http.close();
    await stack.dispose();
  }
}

export type BenchFigure = { name: string; value: number; unit: string; baseline?: number; ratio?: number; detail?: string };

/** For a runner (`npm run bench`): one figure per route, requests/s against the same-run baseline; the page's load in ms. */
export async function run(args = parseArgs([])): Promise<BenchFigure[]> {
  const figures = await readsBench(args);
  const base = figures[0]?.rps ?? 0;
  return figures.map((f, i) =>
    f.rps === 0
      ? { name: f.route, value: f.p50, unit: 'ms p50', detail: `p99 ${f.p99.toFixed(0)} ms` }
      : {
          name: f.route,
          value: f.rps,
          unit: 'req/s',
          ...(i > 0 ? { baseline: base, ratio: base > 0 ? f.rps / base : 0 } : {}),
          detail: `p50 ${f.p50.toFixed(0)} ms, p99 ${f.p99.toFixed(0)} ms, ${f.fivexx} 5xx`,
        },
  );
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = parseArgs(process.argv.slice(2));
  const figures = await readsBench(args);
  const [base, ...routes] = figures;
  const goal = (route: string) =>
    route.startsWith('dashboard page') ? '< 300 ms server time' : route.includes('stats') ? '≥ 25% · p99 < 50 ms' : '≥ 50% · p99 < 50 ms';
  recordSummary(
    'reads',
    routes.map((f) =>
      f.rps === 0
        ? {
            what: `${f.route} (10k clients, 50k tasks, 50k emails)`,
            figure: `p50 ${f.p50.toFixed(0)} ms · p99 ${f.p99.toFixed(0)} ms`,
            baseline: '—',
            ratio: null,
            goal: goal(f.route),
          }
        : {
            what: `${f.route}, ${args.inFlight} in flight (10k clients, 50k tasks, 50k emails)`,
            figure: `${fmt(f.rps)} rps · p50 ${f.p50.toFixed(0)} ms · p99 ${f.p99.toFixed(0)} ms · ${f.fivexx} 5xx`,
            baseline: `Fastify + one pg SELECT ${fmt(base?.rps ?? 0)} rps`,
            ratio: base?.rps ? (f.rps / base.rps) * 100 : null,
            goal: goal(f.route),
          },
    ),
  );
}
