import { type CommandContext, type CommandHandlers, DomainError, deterministicId, type EventStore } from '@realtoros/messaging';
import { clientStatus } from '../planning/client-status.ts';
import type { ClientTaskIndex } from '../planning/client-tasks-index.ts';
import { taskView } from '../task/task.ts';
import type { TaskHandleResult, TaskStore } from '../task/task-store.ts';

export type TaskCommandDeps = { store: EventStore; tasks: TaskStore; index: ClientTaskIndex; now?: () => Date };

/**
 * `cmd.scheduler.*`: the agent's task commands, thin. Each builds one task command and hands
 * it to the command path, which lets the decider rule; the answer is the task as it now
 * stands and the stream position of the write (for the gateway's read-your-writes). Ids
 * derive from the command id, so a retried command changes nothing more.
 */
export function taskCommandHandlers(deps: TaskCommandDeps): CommandHandlers<'scheduler'> {
  const now = deps.now ?? (() => new Date());
  const causedBy = (ctx: CommandContext, at: Date, ifMatch: boolean) => ({
    correlationId: ctx.meta.correlation_id,
    causationId: ctx.meta.command_id,
    traceparent: ctx.traceparent,
    occurredAt: at,
    ...(ifMatch ? { expectedSeq: ctx.meta.expected_seq } : {}),
  });

  const reply = (r: TaskHandleResult, fallback?: TaskHandleResult) => {
    if (r.state.status === 'absent') throw new DomainError('not_found', 'task not found');
    const position = r.position ?? fallback?.position ?? (r.seq > 0 ? { stream: 'SCHEDULER' as const, seq: r.seq } : null);
    return { data: taskView(r.state), position };
  };

  return {
    async create_task(p, ctx) {
      const agentId = ctx.meta.agent_id;
      const at = now();
      const status = await clientStatus(deps.store, agentId, p.client_id);
      if (status === 'absent' || status === 'deleted') throw new DomainError('not_found', 'client not found');
      if (status === 'unsubscribed') throw new DomainError('conflict', 'this client has unsubscribed from follow-ups');
      const ref = { agentId, aggregateId: deterministicId('manual-task', ctx.meta.command_id) };
      // Indexed before it exists, so a concurrent client deletion finds it (see below).
      await deps.index.add(agentId, p.client_id, ref.aggregateId);
      const created = await deps.tasks.handle(
        ref,
        {
          type: 'ScheduleTask',
          data: {
            client_id: p.client_id,
            followup_type: p.followup_type ?? 'Custom',
            scheduled_for: p.scheduled_for,
            priority: p.priority ?? 'medium',
            notes: p.notes ?? null,
            origin: 'manual',
          },
          now: at.toISOString(),
        },
        causedBy(ctx, at, false),
      );
      // The client may have been deleted while we created the task; the deletion's
      // cancel pass may have run before our task existed, so close that gap ourselves.
      const after = await clientStatus(deps.store, agentId, p.client_id);
      if (after === 'deleted' || after === 'unsubscribed') {
        const reason = after === 'deleted' ? 'client_deleted' : 'client_unsubscribed';
        const cancelled = await deps.tasks.handle(ref, { type: 'CancelTask', data: { reason } }, causedBy(ctx, at, false));
        return reply(cancelled, created);
      }
      return reply(created);
    },

    async update_task(p, ctx) {
      const at = now();
      const { task_id, ...changes } = p;
      const result = await deps.tasks.handle(
        { agentId: ctx.meta.agent_id, aggregateId: task_id },
        { type: 'UpdateTask', data: changes, now: at.toISOString() },
        causedBy(ctx, at, true),
      );
      return reply(result);
    },
  };
}
