import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { Kvm } from '@nats-io/kv';
import { connectNats, createEventStore, ensureEventStreams, natsReplicas, onShutdown, serveCommands } from '@realtoros/messaging';
import { createLogger, startHealthServer, startTelemetry } from '@realtoros/observability';
import { planCommandHandlers } from './commands/plan-commands.ts';
import { taskCommandHandlers } from './commands/task-commands.ts';
import { loadSchedulerConfig } from './config.ts';
import { createEnrollmentStore } from './enrollment/enrollment-store.ts';
import { PLAN_ENROLLMENTS_BUCKET, planEnrollmentsIndex } from './enrollment/plan-enrollments-index.ts';
import { startEnrollmentWorkflow } from './enrollment/workflow.ts';
import { startEmailOutcomes } from './outcomes/email-outcomes.listener.ts';
import { startPlanChanges } from './plan/plan-changes.workflow.ts';
import { createPlanStore } from './plan/plan-store.ts';
import { startPlanner } from './planning/client-events.listener.ts';
import { clientTaskIndex } from './planning/client-tasks-index.ts';
import { startDefaultPlans, startEmailStops, startReplyStops } from './planning/outcome-events.listener.ts';
import { defaultPlanSteps } from './planning/schedule.ts';
import { createAgentSettingsReader } from './settings/agent-settings.ts';
import { createTaskStore } from './task/task-store.ts';
import { startTimerArming } from './timers/arming.ts';
import { createFireGate } from './timers/fire-gate.ts';
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
const enrollmentIndex = planEnrollmentsIndex(
  await kvm.create(PLAN_ENROLLMENTS_BUCKET, { history: 1, replicas: natsReplicas() }),
  store.jsm,
);
const tasks = createTaskStore(store);
const plans = createPlanStore(store);
const enrollments = createEnrollmentStore(store);
// One settings reader (and cache) for planning and firing.
const settings = createAgentSettingsReader(store);
const defaultSteps = defaultPlanSteps(config.schedule);
const horizonMs = config.SCHEDULER_HORIZON_DAYS * 86_400_000;

const planner = await startPlanner({ store, tasks, index, plans, enrollments, defaultSteps, log });
const defaultPlans = await startDefaultPlans({ store, plans, defaultSteps, log });
const emailStops = await startEmailStops({ store, enrollments, log });
const replyStops = await startReplyStops({ store, enrollments, plans, autoReplyPauseDays: config.AUTO_REPLY_PAUSE_DAYS, log });
const enrollmentWorkflow = await startEnrollmentWorkflow({ store, tasks, plans, enrollments, index: enrollmentIndex, settings, log });
const planChanges = await startPlanChanges({ store, enrollments, index: enrollmentIndex, log });
const outcomes = await startEmailOutcomes({ store, tasks, log });
const arming = await startTimerArming({ js: store.js, jsm: store.jsm, log, horizonMs });
const gate = await createFireGate({ store, kvm, settings });
// Commands last: once they answer, every consumer above is running.
const commands = serveCommands(
  nc,
  'scheduler',
  { ...taskCommandHandlers({ store, tasks, index }), ...planCommandHandlers({ store, plans, enrollments }) },
  log,
);
const lease = runLease({
  kv: leaseKv,
  key: 'ticker',
  holder: `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`,
  ttlMs: config.SCHEDULER_LEASE_TTL_MS,
  log,
});
const ticker = startTicker({
  js: store.js,
  jsm: store.jsm,
  stateKv,
  lease,
  tasks,
  log,
  horizonMs,
  concurrency: config.SCHEDULER_FIRE_CONCURRENCY,
  gate,
  // An auto-reply's pause ends by itself: its resume timer resumes the enrolment (if still so paused).
  resume: async (t) => {
    const at = new Date();
    await enrollments.handle(
      { agentId: t.agent_id, aggregateId: t.resume_client_id },
      { type: 'ResumeEnrollment', data: { manual: false, enrollment_id: t.task_id }, now: at.toISOString() },
      { correlationId: `resume:${t.task_id}`, causationId: `resume:${t.task_id}:${t.at}`, occurredAt: at },
    );
  },
});
log.info(
  {
    default_plan: defaultSteps.map((s) =>
      s.offset_seconds !== undefined ? `${s.label}+${s.offset_seconds}s` : `${s.label}+${s.offset_days}d`,
    ),
  },
  'scheduler running',
);

const health = await startHealthServer({ port: config.HEALTH_PORT, log, checks: { nats: () => nc.flush() } });

onShutdown(log, [
  () => health.close(),
  () => commands.drain(),
  () => ticker.stop(),
  () => lease.stop(),
  () => planner.stop(),
  () => defaultPlans.stop(),
  () => emailStops.stop(),
  () => replyStops.stop(),
  () => planChanges.stop(),
  () => enrollmentWorkflow.stop(),
  () => Promise.all(outcomes.map((o) => o.stop())),
  () => arming.stop(),
  () => nc.drain(),
  stopTelemetry,
]);
