import type { Envelope } from '@realtoros/contracts';
import { type EventStore, type RunningConsumer, runConsumer } from '@realtoros/messaging';
import type { Logger } from '@realtoros/observability';
import type { TaskCommand } from '../task/decide.ts';
import type { TaskStore } from '../task/task-store.ts';

const isOpenStatus = (status: string) => status === 'pending' || status === 'due';

/**
 * Email outcomes → task commands. A task is `due` while its email is on the way: sent →
 * completed (by email), generation/sending failed for good or suppressed → failed. An
 * unknown send outcome leaves the task due until it is settled: the agent decides (a resend
 * ends in one of the outcomes above; "mark as sent" is an EmailSent confirmed by the agent), or
 * SendGrid reports on the email (the mailer records an EmailSent confirmed by the provider, or
 * EmailFailed if SendGrid dropped it), so the task completes or fails as for any email.
 * Engagement events (delivered, dropped…) never move a task themselves. Outcomes for closed
 * tasks (or repeats) decide nothing.
 */
export function emailOutcomeCommand(event: Envelope, now: string): { taskId: string; command: TaskCommand } | null {
  switch (event.type) {
    case 'EmailSent':
      return event.data.task_id
        ? { taskId: event.data.task_id, command: { type: 'CompleteTask', data: { by: 'email', email_id: event.aggregate_id }, now } }
        : null;
    case 'EmailFailed':
      return event.data.task_id
        ? {
            taskId: event.data.task_id,
            command: { type: 'FailTask', data: { reason: `sending failed: ${event.data.reason}`, email_id: event.aggregate_id } },
          }
        : null;
    case 'EmailSuppressed':
      return event.data.task_id
        ? {
            taskId: event.data.task_id,
            command: { type: 'FailTask', data: { reason: `not sent: ${event.data.reason}`, email_id: event.aggregate_id } },
          }
        : null;
    case 'EmailRejected':
      // The agent rejected the step's draft in review: the step is skipped (nothing is sent).
      return event.data.task_id ? { taskId: event.data.task_id, command: { type: 'SkipTask' } } : null;
    case 'EmailGenerationFailed':
      return event.data.task_id
        ? {
            taskId: event.data.task_id,
            command: { type: 'FailTask', data: { reason: `email generation failed: ${event.data.reason}`, email_id: null } },
          }
        : null;
    default:
      return null;
  }
}

export function emailOutcomesHandler(deps: { tasks: TaskStore; now?: () => Date }) {
  const now = deps.now ?? (() => new Date());
  return async (event: Envelope, traceparent: string | null = null): Promise<void> => {
    const at = now();
    const outcome = emailOutcomeCommand(event, at.toISOString());
    if (!outcome) return;
    // A task already closed (the agent completed or skipped it meanwhile, or a redelivery): nothing left to skip.
    if (outcome.command.type === 'SkipTask' && !isOpenStatus((await deps.tasks.load({ agentId: event.agent_id, aggregateId: outcome.taskId })).state.status)) return;
    await deps.tasks.handle({ agentId: event.agent_id, aggregateId: outcome.taskId }, outcome.command, {
      correlationId: event.correlation_id,
      causationId: event.id,
      traceparent,
      occurredAt: at,
    });
  };
}

export async function startEmailOutcomes(deps: { store: EventStore; tasks: TaskStore; log: Logger }): Promise<RunningConsumer[]> {
  const handle = emailOutcomesHandler(deps);
  return Promise.all(
    (
      [
        ['MAILER', 'scheduler-email-outcomes', 'mail.>'],
        ['AI', 'scheduler-generation-outcomes', 'ai.>'],
      ] as const
    ).map(([stream, durable, filterSubject]) =>
      runConsumer({
        js: deps.store.js,
        jsm: deps.store.jsm,
        stream,
        durable,
        filterSubject,
        log: deps.log,
        handle: (event, ctx) => handle(event, ctx.traceparent),
      }),
    ),
  );
}
