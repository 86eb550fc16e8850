/**
 * Fire-lag benchmark (not a test): how late the scheduler's ticker fires a due timer while
 * clients are being created through the gateway as fast as the write path takes them.
 *
 *   npm run bench:fire-lag                          # 75 s of creation load, 32 in flight
 *   npm run bench:fire-lag -- --seconds 300 --probes-per-s 20
 *   npm run bench:fire-lag -- --in-flight 64 --max-clients 200000
 *   FIRE_LAG_DEBUG=1 npm run bench:fire-lag      # also prints the scheduler's warnings
 *
 * The whole write path runs as in production, each a process of its own (gateway → crm →
 * projector, and → scheduler: planner, enrolments, five TaskScheduled per client, timers
 * armed into the minutes of their days). Meanwhile probe tasks — manual tasks appended as
 * TaskScheduled, as a command would — fall due every 1/probes-per-s seconds from 5 s into the
 * load to its end, so the ticker fires them across several minute boundaries while the
 * scheduler's event loop is busiest. Figures: fire lag (scheduled_for → TaskDue.fired_at)
 * p50/p99/max, probes fired more than once or never, how often the scheduler logged a stalled
 * minute reader, the scheduler's peak RSS, and the creation rate. Same-run baseline: bare
 * JetStream publish (bench/baselines.ts); the ratio is creations/s over it.
 */
import { randomUUID } from 'node:crypto';
import { cpus, totalmem } from 'node:os';
import { DeliverPolicy } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { createEventStore, newEvent } from '@realtoros/messaging';
import { startStack } from '@realtoros/testing';
import { jetstreamPublishRate } from './baselines.ts';
import { httpClient, quantile } from './http-load.ts';
import { measureProcesses, stackPids } from './process-usage.ts';
import { done, fmt, progress } from './progress.ts';
import { recordSummary, type SummaryRow } from './summary.ts';

export type FireLagArgs = { seconds: number; inFlight: number; probesPerS: number; maxClients: number };

export function parseArgs(argv: string[]): FireLagArgs {
  const a: FireLagArgs = { seconds: 75, inFlight: 32, probesPerS: 10, maxClients: 1_000_000 };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = (argv[i] ?? '').split('=');
    const value = Number(inline ?? argv[++i]);
    if (flag === '--seconds') a.seconds = value;
    else if (flag === '--in-flight') a.inFlight = value;
    else if (flag === '--probes-per-s') a.probesPerS = value;
    else if (flag === '--max-clients') a.maxClients = value;
    else throw new Error(`unknown flag ${flag}; see the header of bench/fire-lag.bench.ts`);
  }
  return a;
}

export type FireLagResult = {
  baselinePublishPerS: number;
  clientsPerS: number;
  clients: number;
  postP99: number;
  probes: number;
  lagP50: number;
  lagP99: number;
  lagMax: number;
  /** scheduled_for → the TaskDue delivered to a consumer (this driver's). */
  seenP99: number;
  missing: number;
  duplicates: number;
  stalls: number;
  schedulerPeakRssMb: number | null;
  /** CPU of each process during the load, in % of one core. */
  cpuPercent: Record<string, number | null>;
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function fireLagBench(args: FireLagArgs): Promise<FireLagResult> {
  console.log(
    `fire lag under creation load: ${args.seconds} s of POST /api/clients, ${args.inFlight} in flight, ${args.probesPerS} probes/s · ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB`,
  );
  progress('starting nats-server, Postgres database, projector, crm, scheduler, gateway…', true);
  // warn: the scheduler's stalled-reader warnings are what we count; the others stay quiet.
  const stack = await startStack(['projector', 'crm', 'scheduler', 'gateway'], { LOG_LEVEL: 'warn' });
  const http = httpClient(stack.api, args.inFlight);
  const nc = await connect({ servers: stack.nats.url });
  let stalls = 0;
  let logTail = '';
  stack.services.get('scheduler')?.proc.stdout?.on('data', (b: Buffer) => {
    const text = logTail + b.toString();
    stalls += text.split('timer minute reader stalled').length - 1;
    if (process.env.FIRE_LAG_DEBUG)
      for (const l of b.toString().split('\n'))
        if (l.includes('"level":40') || l.includes('DEBUG')) console.log(`[scheduler] ${l.slice(0, 300)}`);
    logTail = text.slice(-64);
    if (logTail.includes('timer minute reader stalled')) logTail = '';
  });
  try {
    const store = await createEventStore(nc);
    const signup = await http.call('POST', '/api/auth/signup', {
      email: `bench-${Date.now()}@example.com`,
      password: 'correct-horse-1',
      name: 'Bench Agent',
    });
    const { token } = JSON.parse(signup.body) as { token: string; agent: { id: string } };
    const auth = { authorization: `Bearer ${token}` };
    for (let i = 0; i < 100 && !JSON.parse((await http.call('GET', '/api/plans', undefined, auth)).body).items?.length; i++)
      await sleep(100);

    progress('baseline: bare JetStream publish…', true);
    const baseline = await jetstreamPublishRate(nc);
    done(`baseline  bare JetStream publish (600 B, 256 in flight): ${fmt(baseline)} msgs/s`);

    // Probes: manual tasks due from 5 s into the load until its end.
    const probeAgent = randomUUID();
    const loadStart = Date.now() + 3000;
    const due = new Map<string, number>();
    const count = Math.max(1, Math.floor((args.seconds - 5) * args.probesPerS));
    const appends: Promise<unknown>[] = [];
    for (let i = 0; i < count; i++) {
      const task = randomUUID();
      const at = loadStart + 5000 + Math.floor((i * 1000) / args.probesPerS);
      due.set(task, at);
      appends.push(
        store.append(
          newEvent('TaskScheduled', {
            agentId: probeAgent,
            aggregateId: task,
            correlationId: 'bench-fire-lag',
            causationId: null,
            data: {
              client_id: randomUUID(),
              followup_type: 'Custom',
              scheduled_for: new Date(at).toISOString(),
              priority: 'medium',
              notes: null,
              version: 1,
              origin: 'manual',
            },
          }),
          { expectedLastSubjectSeq: 0 },
        ),
      );
    }
    await Promise.all(appends);
    done(`probes    ${fmt(count)} manual tasks due over ${args.seconds - 5} s of the load`);

    const fired = new Map<string, number[]>();
    const seen = new Map<string, number>();
    const watcher = await store.js.consumers.get('SCHEDULER', {
      filter_subjects: `sched.${probeAgent}.task.*`,
      deliver_policy: DeliverPolicy.New,
    });
    const watch = await watcher.consume({ max_messages: 1000 });
    void (async () => {
      for await (const m of watch) {
        if (m.headers?.get('Event-Type') !== 'TaskDue') continue;
        const e = m.json<{ aggregate_id: string; data: { fired_at: string } }>();
        const at = due.get(e.aggregate_id);
        if (at === undefined) continue;
        if (!seen.has(e.aggregate_id)) seen.set(e.aggregate_id, Date.now() - at);
        const list = fired.get(e.aggregate_id) ?? [];
        list.push(Date.parse(e.data.fired_at) - at);
        fired.set(e.aggregate_id, list);
      }
    })();

    const usage = measureProcesses(await stackPids(stack));
    while (Date.now() < loadStart) await sleep(20);
    const started = performance.now();
    const stopAt = loadStart + args.seconds * 1000;
    const latencies: number[] = [];
    let created = 0;
    // Each of `inFlight` workers creates clients one after another until the time is up.
    let next = 0;
    const worker = async () => {
      while (Date.now() < stopAt && next < args.maxClients) {
        const i = next++;
        const r = await http.call(
          'POST',
          '/api/clients',
          { name: `Bench Client ${i}`, email: `c${i}.${Date.now().toString(36)}@example.com`, stage: 'lead' },
          auth,
        );
        latencies.push(r.ms);
        if (r.status === 201) created++;
        if (created % 100 === 0) {
          const s = (performance.now() - started) / 1000;
          const dueNow = Date.now();
          let dueCount = 0;
          for (const t of due.values()) if (t <= dueNow) dueCount++;
          progress(
            `${s.toFixed(0)} s · ${fmt(created)} clients (${fmt(created / s)}/s) · probes fired ${fmt(fired.size)}/${fmt(dueCount)} due · stalled readers ${stalls}`,
          );
        }
      }
    };
    await Promise.all(Array.from({ length: args.inFlight }, worker));
    const loadMs = performance.now() - started;
    const clientsPerS = created / (loadMs / 1000);
    const cpuPercent = Object.fromEntries(
      usage.read().map((u) => [u.name, u.cpuMs === null ? null : Math.round((u.cpuMs / loadMs) * 100)]),
    );
    done(
      `load      ${fmt(created)} clients created in ${args.seconds} s: ${fmt(clientsPerS)}/s · POST p99 ${quantile(latencies, 0.99).toFixed(0)} ms · ratio ${((clientsPerS / baseline) * 100).toFixed(1)}% of bare publish`,
    );
    const deadline = Date.now() + 60_000;
    while (fired.size < due.size && Date.now() < deadline) {
      progress(`waiting for the last probes: ${fmt(fired.size)}/${fmt(due.size)}`);
      await sleep(200);
    }
    await sleep(1500); // a duplicate would show by now
    await watch.close();
    const lags = [...fired.values()].map((l) => l[0] as number);
    const duplicates = [...fired.values()].filter((l) => l.length > 1).length;
    const scheduler = usage.read().find((u) => u.name === 'scheduler');
    const result: FireLagResult = {
      baselinePublishPerS: baseline,
      clientsPerS,
      clients: created,
      postP99: quantile(latencies, 0.99),
      probes: due.size,
      lagP50: quantile(lags, 0.5),
      lagP99: quantile(lags, 0.99),
      lagMax: lags.length ? Math.max(...lags) : Number.NaN,
      seenP99: quantile([...seen.values()], 0.99),
      missing: due.size - fired.size,
      duplicates,
      stalls,
      schedulerPeakRssMb: scheduler?.peakRssMb ?? null,
      cpuPercent,
    };
    done(
      `fire lag  p50 ${result.lagP50} ms · p99 ${result.lagP99} ms · max ${result.lagMax} ms · ${result.missing} never fired · ${duplicates} fired twice (of ${fmt(due.size)})`,
    );
    done(`          TaskDue seen by a consumer: p99 ${result.seenP99} ms after scheduled_for`);
    done(
      `CPU       during the load, % of one core: ${Object.entries(cpuPercent)
        .map(([n, c]) => `${n} ${c ?? '?'}%`)
        .join(' · ')}`,
    );
    done(`scheduler ${stalls} 'timer minute reader stalled' · peak RSS ${result.schedulerPeakRssMb?.toFixed(0) ?? '?'} MB`);
    return result;
  } finally {
    http.close();
    await nc.close();
    await stack.dispose();
  }
}

export function summaryRows(r: FireLagResult): SummaryRow[] {
  return [
    {
      what: `fire lag while creating clients (${fmt(r.clientsPerS)}/s through the gateway)`,
      figure: `p50 ${r.lagP50} ms · p99 ${r.lagP99} ms · ${r.missing} lost · ${r.duplicates} twice · ${r.stalls} stalled readers · scheduler RSS ${r.schedulerPeakRssMb?.toFixed(0) ?? '?'} MB`,
      baseline: `bare JetStream publish ${fmt(r.baselinePublishPerS)}/s`,
      ratio: (r.clientsPerS / r.baselinePublishPerS) * 100,
      goal: 'p99 ≤ 1 s · no stalled reader · at ≥ 1,000 clients/s',
    },
  ];
}

/** For a runner: the figures as summary rows. */
export async function run(argv: string[] = []): Promise<SummaryRow[]> {
  return summaryRows(await fireLagBench(parseArgs(argv)));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = await fireLagBench(parseArgs(process.argv.slice(2)));
  recordSummary('fire-lag', summaryRows(r));
  process.exit(0);
}
