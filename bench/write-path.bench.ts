/**
 * Write-path benchmark (not a test): client creation through the gateway, and how soon each
 * client's planned follow-ups are visible, against bare JetStream publish in the same run.
 *
 *   npm run bench:write                         # 4,000 clients, 32 in flight
 *   npm run bench:write -- --n 1000 --in-flight 1
 *
 * The whole write path runs as in production, each a process of its own: gateway → crm
 * (command, ClientCreated) → projector (read model; the gateway answers once it is there:
 * read-your-writes) and → scheduler (enrolment, five TaskScheduled) → projector. A client's
 * follow-ups are "visible" when the projector has announced (after its commit) the fifth
 * TaskScheduled of that client; the lag is counted from the POST's answer.
 * The driver, nats-server, Postgres and the five processes share the machine's cores, so
 * the figures are a floor.
 */
import { cpus, totalmem } from 'node:os';
import { connect } from '@nats-io/transport-node';
import { liveSubject } from '@realtoros/contracts';
import { startStack } from '@realtoros/testing';
import { jetstreamPublishRate } from './baselines.ts';
import { httpClient, inFlight, quantile } from './http-load.ts';
import { formatUsage, measureProcesses, type ProcessUsage, stackPids } from './process-usage.ts';
import { done, fmt, progress } from './progress.ts';
import { recordSummary } from './summary.ts';

function parseArgs(argv: string[]) {
  const a = { n: 4000, inFlight: 32, followups: 5 };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = (argv[i] ?? '').split('=');
    const value = Number(inline ?? argv[++i]);
    if (flag === '--n') a.n = value;
    else if (flag === '--in-flight') a.inFlight = value;
    else throw new Error(`unknown flag ${flag}; see the header of bench/write-path.bench.ts`);
  }
  return a;
}

export type WritePathResult = {
  baselinePublishPerS: number;
  clientsPerS: number;
  p50: number;
  p99: number;
  errors: number;
  followupsP50: number;
  followupsP99: number;
  missing: number;
  /** Per process: CPU spent during the load and the follow-ups, peak RSS. */
  usage: ProcessUsage[];
};

export async function writePathBench(args = parseArgs(process.argv.slice(2))): Promise<WritePathResult> {
  console.log(
    `write path: ${fmt(args.n)} clients, ${args.inFlight} in flight · ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB`,
  );
  progress('starting nats-server, Postgres database, projector, crm, scheduler, gateway…', true);
  const stack = await startStack(['projector', 'crm', 'scheduler', 'gateway'], { LOG_LEVEL: 'error' });
  const http = httpClient(stack.api, args.inFlight);
  const nc = await connect({ servers: stack.nats.url });
  try {
    const signup = await http.call('POST', '/api/auth/signup', {
      email: `bench-${Date.now()}@example.com`,
      password: 'correct-horse-1',
      name: 'Bench Agent',
    });
    const { token, agent } = JSON.parse(signup.body) as { token: string; agent: { id: string } };
    const auth = { authorization: `Bearer ${token}` };
    // The default plan exists before the clock starts (its PlanCreated is the first client's cost otherwise).
    for (let i = 0; i < 100 && !JSON.parse((await http.call('GET', '/api/plans', undefined, auth)).body).items?.length; i++)
      await new Promise((r) => setTimeout(r, 100));

    progress('baseline: bare JetStream publish…', true);
    const baseline = await jetstreamPublishRate(nc);
    done(`baseline  bare JetStream publish (600 B, 256 in flight): ${fmt(baseline)} msgs/s`);

    // Follow-ups visible: the projector's announcements of TaskScheduled, per client.
    const answeredAt = new Map<string, number>();
    const scheduled = new Map<string, number>();
    const visibleAt = new Map<string, number>();
    const sub = nc.subscribe(liveSubject(agent.id));
    (async () => {
      for await (const m of sub) {
        const e = m.json<{ type: string; data: { client_id?: string } }>();
        if (e.type !== 'TaskScheduled' || !e.data.client_id) continue;
        const n = (scheduled.get(e.data.client_id) ?? 0) + 1;
        scheduled.set(e.data.client_id, n);
        if (n === args.followups) visibleAt.set(e.data.client_id, performance.now());
      }
    })();

    const latencies: number[] = [];
    let errors = 0;
    const usage = measureProcesses(await stackPids(stack));
    const started = performance.now();
    await inFlight(
      args.n,
      args.inFlight,
      async (i) => {
        const r = await http.call(
          'POST',
          '/api/clients',
          { name: `Bench Client ${i}`, email: `c${i}.${Date.now().toString(36)}@example.com`, stage: 'lead' },
          auth,
        );
        latencies.push(r.ms);
        if (r.status !== 201) {
          errors++;
          return;
        }
        answeredAt.set((JSON.parse(r.body) as { id: string }).id, performance.now());
      },
      (finished) => {
        if (finished % 250 === 0)
          progress(`POST /api/clients ${fmt(finished)}/${fmt(args.n)} · ${fmt(finished / ((performance.now() - started) / 1000))}/s`);
      },
    );
    const ms = performance.now() - started;
    const clientsPerS = args.n / (ms / 1000);
    done(
      `POST /api/clients  ${fmt(clientsPerS)}/s · p50 ${quantile(latencies, 0.5).toFixed(0)} ms · p99 ${quantile(latencies, 0.99).toFixed(0)} ms · ${errors} not 201 · ratio ${((clientsPerS / baseline) * 100).toFixed(1)}% of bare publish`,
    );

    // Wait (bounded) for the last follow-ups, then read the lags.
    const deadline = performance.now() + 120_000;
    while (visibleAt.size < answeredAt.size && performance.now() < deadline) {
      progress(`follow-ups visible for ${fmt(visibleAt.size)}/${fmt(answeredAt.size)} clients…`);
      await new Promise((r) => setTimeout(r, 200));
    }
    const lags = [...answeredAt].map(([id, at]) => (visibleAt.get(id) ?? Number.POSITIVE_INFINITY) - at);
    const missing = lags.filter((l) => !Number.isFinite(l)).length;
    const finite = lags.filter(Number.isFinite).map((l) => Math.max(0, l));
    const result: WritePathResult = {
      baselinePublishPerS: baseline,
      clientsPerS,
      p50: quantile(latencies, 0.5),
      p99: quantile(latencies, 0.99),
      errors,
      followupsP50: quantile(finite, 0.5),
      followupsP99: quantile(finite, 0.99),
      missing,
      usage: usage.read(),
    };
    done(
      `follow-ups visible after the POST's answer: p50 ${(result.followupsP50 / 1000).toFixed(2)} s · p99 ${(result.followupsP99 / 1000).toFixed(2)} s · ${missing} clients without all ${args.followups} in 120 s`,
    );
    done(`where the CPU went (per client, POST through follow-ups visible):\n${formatUsage(result.usage, args.n, 'client')}`);
    sub.unsubscribe();
    return result;
  } finally {
    http.close();
    await nc.close();
    // With NODE_OPTIONS=--cpu-prof, each service writes its profile on a graceful exit.
    if (process.env.BENCH_GRACEFUL_STOP) for (const name of [...stack.services.keys()]) await stack.stop(name);
    await stack.dispose();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = parseArgs(process.argv.slice(2));
  const r = await writePathBench(args);
  const heaviest = r.usage.filter((u) => u.peakRssMb !== null).sort((a, b) => (b.peakRssMb ?? 0) - (a.peakRssMb ?? 0))[0];
  const cpuPerClient = r.usage.reduce((sum, u) => sum + (u.cpuMs ?? 0), 0) / args.n;
  recordSummary('write', [
    {
      what: `POST /api/clients, ${args.inFlight} in flight (${fmt(args.n)} clients)`,
      figure: `${fmt(r.clientsPerS)}/s · p50 ${r.p50.toFixed(0)} ms · p99 ${r.p99.toFixed(0)} ms · ${r.errors} not 201`,
      baseline: `bare JetStream publish ${fmt(r.baselinePublishPerS)}/s`,
      ratio: (r.clientsPerS / r.baselinePublishPerS) * 100,
      goal: '≥ 1,000/s · p99 < 50 ms',
    },
    {
      what: "client → its 5 follow-ups visible (after the POST's answer)",
      figure: `p50 ${(r.followupsP50 / 1000).toFixed(2)} s · p99 ${(r.followupsP99 / 1000).toFixed(2)} s · ${r.missing} missing`,
      baseline: '—',
      ratio: null,
      goal: 'p99 ≤ 1 s',
    },
    {
      what: 'CPU per client, all processes; the largest peak RSS',
      figure: `${cpuPerClient.toFixed(1)} ms CPU/client · ${heaviest ? `${heaviest.name} ${heaviest.peakRssMb?.toFixed(0)} MB` : '?'}`,
      baseline: '—',
      ratio: null,
      goal: 'RSS ≤ 300 MB per service',
    },
  ]);
}
