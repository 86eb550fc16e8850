import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { Kvm } from '@nats-io/kv';
import { connectNats, createEventStore, ensureEventStreams, natsReplicas, onShutdown, serveCommands } from '@realtoros/messaging';
import { createLogger, startHealthServer, startTelemetry } from '@realtoros/observability';
import { taskCommandHandlers } from './commands/task-commands.ts';
import { loadSchedulerConfig } from './config.ts';
import { startEmailOutcomes } from './outcomes/email-outcomes.listener.ts';
import { startPlanner } from './planning/client-events.listener.ts';
import { clientTaskIndex } from './planning/client-tasks-index.ts';
import { createTaskStore } from './task/task-store.ts';
import { startTimerArming } from './timers/arming.ts';
import { openLeaseBucket, runLease } from './timers/lease.ts';
import { startTicker } from './timers/ticker.ts';
import { ensureTimerStream } from './timers/timer-stream.ts';

const config = loadSchedulerConfig();
const log = createLogger('scheduler', config.LOG_LEVEL);
const stopTelemetry = await startTelemetry('scheduler');
const nc = await connectNats({ url: config.NATS_URL, name: 'scheduler', log });
const store = await createEventStore(nc);
// SCHEDULER and TIMERS are ours; the others we consume exist even before their owners start.
await ensureEventStreams(store.jsm, ['SCHEDULER', 'CRM', 'AI', 'MAILER']);
await ensureTimerStream(store.jsm, config.SCHEDULER_HORIZON_DAYS);
const kvm = new Kvm(nc);
const leaseKv = await openLeaseBucket(kvm, store.jsm, 'sched_lease', config.SCHEDULER_LEASE_TTL_MS);
const stateKv = await kvm.create('sched_state', { history: 1, replicas: natsReplicas() });
const index = clientTaskIndex(await kvm.create('sched_client_tasks', { history: 1, replicas: natsReplicas() }), store.jsm);
const tasks = createTaskStore(store);
const horizonMs = config.SCHEDULER_HORIZON_DAYS * 86_400_000;

const commands = serveCommands(nc, 'scheduler', taskCommandHandlers({ store, tasks, index }), log);
const planner = await startPlanner({ store, tasks, index, schedule: config.schedule, log });
const outcomes = await startEmailOutcomes({ store, tasks, log });
const arming = await startTimerArming({ js: store.js, jsm: store.jsm, log, horizonMs });
const lease = runLease({ kv: leaseKv, key: 'ticker', holder: `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`, ttlMs: config.SCHEDULER_LEASE_TTL_MS, log });
const ticker = startTicker({ js: store.js, jsm: store.jsm, stateKv, lease, tasks, log, horizonMs, concurrency: config.SCHEDULER_FIRE_CONCURRENCY });
log.info({ followups: config.schedule.map((p) => `${p.followup_type}+${p.offset_seconds}s`) }, 'scheduler running');

const health = await startHealthServer({ port: config.HEALTH_PORT, log, checks: { nats: () => nc.flush() } });

onShutdown(log, [
  () => health.close(),
  () => commands.drain(),
  () => ticker.stop(),
  () => lease.stop(),
  () => planner.stop(),
  () => Promise.all(outcomes.map((o) => o.stop())),
  () => arming.stop(),
  () => nc.drain(),
  stopTelemetry,
]);
