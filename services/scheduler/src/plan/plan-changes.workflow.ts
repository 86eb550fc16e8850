import type { Envelope } from '@realtoros/contracts';
import { type EventStore, type RunningConsumer, runConsumer } from '@realtoros/messaging';
import type { Logger } from '@realtoros/observability';
import type { EnrollmentCommand } from '../enrollment/decide.ts';
import type { EnrollmentStore } from '../enrollment/enrollment-store.ts';
import type { PlanEnrollmentsIndex } from '../enrollment/plan-enrollments-index.ts';
import { forEachLimit } from '../planning/concurrency.ts';

export const PLAN_CHANGES_DURABLE = 'scheduler-plan-changes';

/**
 * Plan events → enrolment commands. A PlanChanged applied to current enrolments migrates each
 * live enrolment of the plan to the new version (MigrateEnrollment → EnrollmentMigrated, which
 * the enrolment workflow turns into task moves, additions and removals); enrolments already on
 * it, or no longer live, decide nothing. A PlanDeleted ends them (`plan_deleted`). The clients
 * come from the `sched_plan_enrollments` index, `concurrency` at a time; the event ids derive
 * from (type, enrolment, this plan event), so a redelivery — or a crash halfway through the
 * list — only appends what is still missing.
 */
export function planChangesHandler(deps: {
  enrollments: EnrollmentStore;
  index: PlanEnrollmentsIndex;
  concurrency?: number;
  now?: () => Date;
}) {
  const now = deps.now ?? (() => new Date());
  const limit = deps.concurrency ?? 64;
  return async function handle(event: Envelope, traceparent: string | null = null): Promise<number> {
    let command: EnrollmentCommand;
    if (event.type === 'PlanChanged' && event.data.apply_to === 'current')
      command = { type: 'MigrateEnrollment', data: { plan_id: event.aggregate_id, to_version: event.data.version } };
    else if (event.type === 'PlanDeleted')
      command = { type: 'EndEnrollment', data: { reason: 'plan_deleted', manual: false, plan_id: event.aggregate_id } };
    else return 0;
    const clients = await deps.index.clients(event.agent_id, event.aggregate_id);
    const cause = { correlationId: event.correlation_id, causationId: event.id, traceparent, occurredAt: now() };
    await forEachLimit(clients, limit, (clientId) =>
      deps.enrollments.handle({ agentId: event.agent_id, aggregateId: clientId }, command, cause),
    );
    return clients.length;
  };
}

export function startPlanChanges(
  deps: Parameters<typeof planChangesHandler>[0] & { store: EventStore; log: Logger },
): Promise<RunningConsumer> {
  const handle = planChangesHandler(deps);
  return runConsumer({
    js: deps.store.js,
    jsm: deps.store.jsm,
    stream: 'SCHEDULER',
    durable: PLAN_CHANGES_DURABLE,
    filterSubject: 'sched.*.plan.*',
    log: deps.log,
    // Plan edits of one plan in order: version n's migration before version n + 1's.
    handle: async (event, ctx) => {
      const n = await handle(event, ctx.traceparent);
      if (n) ctx.log.info({ plan_id: event.aggregate_id, enrollments: n }, `${event.type} applied to the enrolled clients`);
    },
  });
}
