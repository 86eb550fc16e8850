import { type Envelope, stageStopReason } from '@realtoros/contracts';
import { deterministicId, type EventStore, type RunningConsumer, runConsumer } from '@realtoros/messaging';
import type { Logger } from '@realtoros/observability';
import type { TaskStore } from '../task/task-store.ts';
import type { ClientTaskIndex } from './client-tasks-index.ts';
import { type FollowupPlan, PLANNED_TYPES, planFollowups, plannedTaskId } from './schedule.ts';

export const PLANNER_DURABLE = 'scheduler-planner';

/**
 * Client events → task commands. ClientCreated plans the follow-ups (each TaskScheduled
 * appended only if its task subject is still empty, so a redelivery plans nothing more),
 * unless the client is created already `lost`/`closed`; ClientDeleted / ClientUnsubscribed
 * cancel the client's pending tasks; a ClientStageChanged to `lost`/`closed` cancels its
 * pending automated ones (the decider leaves the agent's manual tasks alone). Moving back
 * to an active stage plans nothing again (enrolment in a plan comes with issue 8's plans).
 */
export function clientEventsHandler(deps: {
  tasks: TaskStore;
  index: ClientTaskIndex;
  schedule: readonly FollowupPlan[];
  now?: () => Date;
}) {
  const now = deps.now ?? (() => new Date());
  return async function handle(event: Envelope, traceparent: string | null = null): Promise<void> {
    const at = now();
    const cause = { correlationId: event.correlation_id, causationId: event.id, traceparent, occurredAt: at };
    const ref = (taskId: string) => ({ agentId: event.agent_id, aggregateId: taskId });
    switch (event.type) {
      case 'ClientCreated': {
        if (stageStopReason(event.data.stage)) return; // nothing automated for a lost or closed client
        const planned = planFollowups(
          { client_id: event.aggregate_id, created_at: event.occurred_at, data: event.data },
          deps.schedule,
          at.toISOString(),
        );
        // Each task is its own aggregate: planned side by side, not one round trip after another.
        // A failure fails the message; its redelivery appends only what is missing.
        await Promise.all(
          planned.map(({ task_id, command }) =>
            deps.tasks.handle(
              ref(task_id),
              { ...command, now: at.toISOString() },
              { ...cause, eventId: () => deterministicId('TaskScheduled', task_id) },
            ),
          ),
        );
        return;
      }
      case 'ClientDeleted':
      case 'ClientUnsubscribed':
      case 'ClientStageChanged': {
        const reason =
          event.type === 'ClientDeleted'
            ? 'client_deleted'
            : event.type === 'ClientUnsubscribed'
              ? 'client_unsubscribed'
              : stageStopReason(event.data.to);
        if (!reason) return; // a stage that stops nothing
        // The same ids and command path for every reason, so a redelivery appends nothing more;
        // for a stage reason the decider skips manual tasks and `due` ones (the mailer checks
        // the stage again at send time).
        const ids = new Set([
          ...PLANNED_TYPES.map((t) => plannedTaskId(event.aggregate_id, t)),
          ...(await deps.index.list(event.agent_id, event.aggregate_id)),
        ]);
        await Promise.all([...ids].map((taskId) => deps.tasks.handle(ref(taskId), { type: 'CancelTask', data: { reason } }, cause)));
        return;
      }
      default:
        return;
    }
  };
}

export function startPlanner(
  deps: Parameters<typeof clientEventsHandler>[0] & { store: EventStore; log: Logger },
): Promise<RunningConsumer> {
  const handle = clientEventsHandler(deps);
  return runConsumer({
    js: deps.store.js,
    jsm: deps.store.jsm,
    stream: 'CRM',
    durable: PLANNER_DURABLE,
    filterSubject: 'crm.*.client.*',
    log: deps.log,
    handle: (event, ctx) => handle(event, ctx.traceparent),
  });
}
