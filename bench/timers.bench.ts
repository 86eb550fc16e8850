/**
 * Timer benchmark (not a test): how the scheduler's timer stream holds up.
 *
 *   npm run bench:timers                       # both scenarios, full size
 *   npm run bench:timers -- --n 20000          # smaller burst
 *   npm run bench:timers -- --scenario spread --spread-n 200000
 *   npm run bench:timers -- --scenario burst --shape instant   # all N due at the same instant
 *
 * burst:  N tasks (default 100,000) all due within one minute → fire lag p50/p99/max
 *         (scheduled_for → TaskDue.fired_at, and → seen by a consumer), fire throughput,
 *         the scheduler's peak RSS. `--shape uniform` (default) spreads them over the minute;
 *         `--shape instant` makes them all due at its first millisecond (the worst case: a
 *         backlog), which measures the top fire throughput.
 * spread: M tasks (default 1,000,000) spread over 30 days, plus a few hundred probes due in
 *         the next minutes → scheduler RSS with M pending, restart time with M pending, and
 *         the probes' lag under that load.
 *
 * Each scenario gets its own nats-server (temp store) and a real scheduler process; tasks
 * are appended as TaskScheduled events (what the planner or a command appends), so the
 * scheduler arms, parks, loads and fires them exactly as in production.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { execFileSync } from 'node:child_process';
import { DeliverPolicy, type JetStreamClient } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { createEventStore, ensureEventStreams, newEvent, type EventStore } from '@realtoros/messaging';
import { startNats, startService, waitFor, type ServiceProcess, type TestNats } from '@realtoros/testing';
import { done, fmt, progress } from './progress.ts';

type Args = { scenario: 'burst' | 'spread' | 'all'; shape: 'uniform' | 'instant'; n: number; spreadN: number; spreadDays: number; probes: number; concurrency: number };

function parseArgs(argv: string[]): Args {
  const a: Args = { scenario: 'all', shape: 'uniform', n: 100_000, spreadN: 1_000_000, spreadDays: 30, probes: 600, concurrency: 128 };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = (argv[i] ?? '').split('=');
    const value = inline ?? argv[++i] ?? '';
    switch (flag) {
      case '--scenario':
        if (value !== 'burst' && value !== 'spread' && value !== 'all') throw new Error('--scenario burst|spread|all');
        a.scenario = value;
        break;
      case '--shape':
        if (value !== 'uniform' && value !== 'instant') throw new Error('--shape uniform|instant');
        a.shape = value;
        break;
      case '--n':
        a.n = Number(value);
        break;
      case '--spread-n':
        a.spreadN = Number(value);
        break;
      case '--spread-days':
        a.spreadDays = Number(value);
        break;
      case '--probes':
        a.probes = Number(value);
        break;
      case '--concurrency':
        a.concurrency = Number(value);
        break;
      default:
        throw new Error(`unknown flag ${flag}; see the header of bench/timers.bench.ts`);
    }
  }
  return a;
}

// ---------------------------------------------------------------------------------------

const mb = (kb: number) => `${(kb / 1024).toFixed(0)} MB`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function procStatus(pid: number | undefined, field: 'VmRSS' | 'VmHWM'): number {
  if (!pid) return 0;
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number;
}

type Env = { nats: TestNats; nc: NatsConnection; store: EventStore; scheduler: ServiceProcess | null; startedAt: number };

async function setup(args: Args): Promise<Env> {
  const nats = await startNats();
  const nc = await connect({ servers: nats.url, maxReconnectAttempts: -1 });
  const store = await createEventStore(nc);
  await ensureEventStreams(store.jsm, ['SCHEDULER', 'CRM', 'AI', 'MAILER']);
  const env: Env = { nats, nc, store, scheduler: null, startedAt: 0 };
  await startScheduler(env, args);
  return env;
}

async function startScheduler(env: Env, args: Args): Promise<number> {
  const t0 = performance.now();
  env.scheduler = startService('scheduler', {
    NATS_URL: env.nats.url, LOG_LEVEL: 'info', SCHEDULER_FIRE_CONCURRENCY: String(args.concurrency),
  });
  await waitFor(async () => env.scheduler?.output().includes('ticker started'), { timeoutMs: 120_000, intervalMs: 10, what: 'scheduler ticking' });
  env.startedAt = Date.now();
  return performance.now() - t0;
}

async function teardown(env: Env) {
  await env.scheduler?.stop('SIGTERM');
  await env.nc.close();
  await env.nats.dispose();
}

/** Appends TaskScheduled events (each on an empty task subject) with a bounded publish window. */
async function scheduleTasks(store: EventStore, count: number, at: (i: number) => number, label: string): Promise<Map<string, number>> {
  const agent = randomUUID();
  const due = new Map<string, number>();
  const window: Promise<unknown>[] = [];
  const t0 = performance.now();
  for (let i = 0; i < count; i++) {
    const task = randomUUID();
    const when = at(i);
    due.set(task, when);
    const event = newEvent('TaskScheduled', {
      agentId: agent, aggregateId: task, correlationId: 'bench', causationId: null,
      data: { client_id: randomUUID(), followup_type: 'Custom', scheduled_for: new Date(when).toISOString(), priority: 'medium', notes: null, version: 1, origin: 'manual' },
    });
    window.push(store.append(event, { expectedLastSubjectSeq: 0 }));
    if (window.length >= 2000) {
      await Promise.all(window);
      window.length = 0;
      progress(`${label}: appended ${fmt(i + 1)} / ${fmt(count)} TaskScheduled (${fmt(Math.round((i + 1) / ((performance.now() - t0) / 1000)))}/s)`);
    }
  }
  await Promise.all(window);
  done(`${label}: appended ${fmt(count)} TaskScheduled in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return due;
}

/** Waits until the scheduler has parked a timer for every task event. */
async function waitArmed(env: Env, label: string) {
  const t0 = performance.now();
  for (;;) {
    const c = await env.store.jsm.consumers.info('SCHEDULER', 'scheduler-timer-arming').catch(() => null);
    const left = c ? c.num_pending + c.num_ack_pending : Number.NaN;
    const timers = (await env.store.jsm.streams.info('TIMERS')).state.messages;
    progress(`${label}: timers parked ${fmt(timers)}, left to arm ${fmt(left)}, scheduler RSS ${mb(procStatus(env.scheduler?.proc.pid, 'VmRSS'))}`);
    if (left === 0) break;
    await sleep(500);
  }
  done(`${label}: all timers parked in ${((performance.now() - t0) / 1000).toFixed(1)} s after the appends`);
}

type Fire = { task: string; scheduled: number; fired: number; seen: number };

/** Watches TaskDue events from now on. */
async function watchDues(js: JetStreamClient) {
  const fires: Fire[] = [];
  const seenTasks = new Map<string, number>();
  const c = await js.consumers.get('SCHEDULER', { deliver_policy: DeliverPolicy.New });
  const messages = await c.consume({ max_messages: 5000 });
  void (async () => {
    for await (const m of messages) {
      if (m.headers?.get('Event-Type') !== 'TaskDue') continue;
      const e = m.json<{ aggregate_id: string; data: { scheduled_for: string; fired_at: string } }>();
      seenTasks.set(e.aggregate_id, (seenTasks.get(e.aggregate_id) ?? 0) + 1);
      fires.push({ task: e.aggregate_id, scheduled: Date.parse(e.data.scheduled_for), fired: Date.parse(e.data.fired_at), seen: Date.now() });
    }
  })();
  return { fires, seenTasks, stop: () => messages.close() };
}

function report(label: string, fires: Fire[], seenTasks: Map<string, number>, expected: number) {
  const lag = fires.map((f) => f.fired - f.scheduled).sort((a, b) => a - b);
  const seen = fires.map((f) => f.seen - f.scheduled).sort((a, b) => a - b);
  const duplicates = [...seenTasks.values()].filter((n) => n > 1).length;
  const first = Math.min(...fires.map((f) => f.fired));
  const last = Math.max(...fires.map((f) => f.fired));
  const perSecond = new Map<number, number>();
  for (const f of fires) perSecond.set(Math.floor(f.fired / 1000), (perSecond.get(Math.floor(f.fired / 1000)) ?? 0) + 1);
  console.log(`  ${label}: fired ${fmt(seenTasks.size)} / ${fmt(expected)} tasks, duplicates ${duplicates}`);
  console.log(`    fire lag (scheduled_for → TaskDue.fired_at): p50 ${percentile(lag, 50)} ms, p99 ${percentile(lag, 99)} ms, max ${lag.at(-1)} ms`);
  console.log(`    seen lag (scheduled_for → TaskDue delivered to a consumer): p50 ${percentile(seen, 50)} ms, p99 ${percentile(seen, 99)} ms, max ${seen.at(-1)} ms`);
  if (fires.length > 1)
    console.log(
      `    throughput: ${fmt(Math.round(fires.length / Math.max(1, (last - first) / 1000)))} fires/s average over ${((last - first) / 1000).toFixed(1)} s, peak ${fmt(Math.max(...perSecond.values()))} in one second`,
    );
  return { p50: percentile(lag, 50), p99: percentile(lag, 99), max: lag.at(-1) ?? 0, duplicates };
}

// ---------------------------------------------------------------------------------------

async function burst(args: Args) {
  console.log(`\nburst: ${fmt(args.n)} tasks due ${args.shape === 'instant' ? 'at the same instant' : 'within one minute'}`);
  const env = await setup(args);
  try {
    const rssIdle = procStatus(env.scheduler?.proc.pid, 'VmRSS');
    // Leave time to append and arm them all before the minute starts.
    const lead = Math.max(60_000, args.n * 0.6);
    const minuteStart = Math.ceil((Date.now() + lead) / 60_000) * 60_000;
    const due = await scheduleTasks(env.store, args.n, () => minuteStart + (args.shape === 'instant' ? 0 : Math.floor(Math.random() * 60_000)), 'burst');
    await waitArmed(env, 'burst');
    const watch = await watchDues(env.store.js);
    let peakRss = 0;
    const deadline = minuteStart + 60_000 + 120_000;
    while (watch.seenTasks.size < due.size && Date.now() < deadline) {
      peakRss = Math.max(peakRss, procStatus(env.scheduler?.proc.pid, 'VmRSS'));
      const now = Date.now();
      const shouldHave = [...due.values()].filter((t) => t <= now).length;
      progress(
        now < minuteStart
          ? `burst: waiting for the minute to start in ${((minuteStart - now) / 1000).toFixed(0)} s (RSS ${mb(peakRss)})`
          : `burst: fired ${fmt(watch.seenTasks.size)} / ${fmt(due.size)} (due by now: ${fmt(shouldHave)}), scheduler RSS ${mb(peakRss)}`,
      );
      await sleep(now < minuteStart - 2000 ? 500 : 100);
    }
    await sleep(2000);
    done(`burst: done at ${((Date.now() - minuteStart) / 1000).toFixed(1)} s after the minute started`);
    await watch.stop();
    const r = report('burst', watch.fires, watch.seenTasks, due.size);
    const lastFire = Math.max(...watch.fires.map((f) => f.fired));
    console.log(`    all due in one minute fired within ${((lastFire - minuteStart) / 1000).toFixed(1)} s of the minute's start`);
    const hwm = procStatus(env.scheduler?.proc.pid, 'VmHWM');
    console.log(`    scheduler RSS: idle ${mb(rssIdle)}, peak (VmHWM) ${mb(hwm)}`);
    return { ...r, hwm, missing: due.size - watch.seenTasks.size };
  } finally {
    await teardown(env);
  }
}

async function spread(args: Args) {
  const days = args.spreadDays;
  console.log(`\nspread: ${fmt(args.spreadN)} tasks over ${days} days, plus ${fmt(args.probes)} probes due in the next minutes`);
  const env = await setup(args);
  try {
    const rssIdle = procStatus(env.scheduler?.proc.pid, 'VmRSS');
    const horizonStart = Date.now() + 15 * 60_000; // none of the bulk falls due during the bench
    const span = days * 86_400_000 - 15 * 60_000;
    await scheduleTasks(env.store, args.spreadN, () => horizonStart + Math.floor(Math.random() * span), 'spread');
    await waitArmed(env, 'spread');
    const hwmLoad = procStatus(env.scheduler?.proc.pid, 'VmHWM');
    const rssPending = procStatus(env.scheduler?.proc.pid, 'VmRSS');
    const minutes = await env.store.jsm.streams.info('TIMERS', { subjects_filter: 'timers.*' });
    console.log(`  ${fmt(minutes.state.messages)} timers pending in ${fmt(Object.keys(minutes.state.subjects ?? {}).length)} minute subjects`);

    // Restart with everything pending: start-up must not depend on the number of timers.
    await env.scheduler?.stop('SIGTERM');
    const startup = await startScheduler(env, args);
    await sleep(3000);
    const rssAfterRestart = procStatus(env.scheduler?.proc.pid, 'VmRSS');
    console.log(`  restart with ${fmt(args.spreadN)} pending: ticking after ${startup.toFixed(0)} ms, RSS ${mb(rssAfterRestart)} (idle before any timers: ${mb(rssIdle)})`);

    // Probes: due over the next two minutes, with everything else pending.
    const watch = await watchDues(env.store.js);
    const probeStart = Date.now() + 20_000;
    const probes = await scheduleTasks(env.store, args.probes, (i) => probeStart + Math.floor((i / args.probes) * 120_000), 'probes');
    const deadline = probeStart + 120_000 + 60_000;
    let peakRss = 0;
    while (watch.seenTasks.size < probes.size && Date.now() < deadline) {
      peakRss = Math.max(peakRss, procStatus(env.scheduler?.proc.pid, 'VmRSS'));
      progress(`spread: probes fired ${fmt(watch.seenTasks.size)} / ${fmt(probes.size)}, scheduler RSS ${mb(peakRss)}`);
      await sleep(250);
    }
    await sleep(1500);
    done('spread: probes done');
    await watch.stop();
    const r = report('probes with the bulk pending', watch.fires, watch.seenTasks, probes.size);
    console.log(`    scheduler RSS: idle ${mb(rssIdle)}, while arming ${fmt(args.spreadN)} peak ${mb(hwmLoad)}, after arming ${mb(rssPending)}, after restart ${mb(rssAfterRestart)}, during probes ${mb(peakRss)}`);
    return { ...r, startup, rssIdle, rssAfterRestart, hwmLoad };
  } finally {
    await teardown(env);
  }
}

const args = parseArgs(process.argv.slice(2));
const natsVersion = (() => {
  try {
    return execFileSync(process.env.NATS_SERVER_BIN ?? '/usr/sbin/nats-server', ['--version']).toString().trim();
  } catch {
    return 'nats-server (unknown version)';
  }
})();
console.log(`RealtorOS timer benchmark — ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GB RAM, Node ${process.version}, ${natsVersion}`);
console.log(`(scheduler: SCHEDULER_FIRE_CONCURRENCY=${args.concurrency}; nats-server, scheduler and this driver share the machine)`);
if (args.scenario !== 'spread') await burst(args);
if (args.scenario !== 'burst') await spread(args);
process.exit(0);
