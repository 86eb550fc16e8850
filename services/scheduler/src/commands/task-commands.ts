import { DomainError, deterministicId, type CommandContext, type CommandHandlers, type EventStore } from '@realtoros/messaging';
import { clientStatus } from '../planning/client-status.ts';
import type { ClientTaskIndex } from '../planning/client-tasks-index.ts';
import type { TaskCommand } from '../task/decide.ts';
import { taskView, type TaskState } from '../task/task.ts';
import type { HandleResult, TaskStore } from '../task/task-store.ts';

export type TaskCommandDeps = { store: EventStore; tasks: TaskStore; index: ClientTaskIndex; now?: () => Date };

/**
 * `cmd.scheduler.*`: the agent's task commands. Each builds task commands, lets the decider
 * rule, and answers with the task as it now stands and the stream position of the write
 * (for the gateway's read-your-writes). Ids derive from the command id, so a retried
 * command changes nothing more.
 */
export function taskCommandHandlers(deps: TaskCommandDeps): CommandHandlers<'scheduler'> {
  const now = deps.now ?? (() => new Date());
  const causedBy = (ctx: CommandContext) => ({
    now,
    correlationId: ctx.meta.correlation_id,
    causationId: ctx.meta.command_id,
    traceparent: ctx.traceparent,
  });

  const reply = (r: HandleResult, fallback?: HandleResult) => {
    const state: TaskState = r.state;
    if (state.status === 'absent') throw new DomainError('not_found', 'task not found');
    return { data: taskView(state), position: r.position ?? fallback?.position ?? null };
  };

  return {
    async create_task(p, ctx) {
      const agentId = ctx.meta.agent_id;
      const status = await clientStatus(deps.store, agentId, p.client_id);
      if (status === 'absent' || status === 'deleted') throw new DomainError('not_found', 'client not found');
      if (status === 'unsubscribed') throw new DomainError('conflict', 'this client has unsubscribed from follow-ups');
      const taskId = deterministicId('manual-task', ctx.meta.command_id);
      // Indexed before it exists, so a concurrent client deletion finds it (see below).
      await deps.index.add(agentId, p.client_id, taskId);
      const created = await deps.tasks.handle(
        agentId,
        taskId,
        (_state, at): TaskCommand[] => [
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
            now: at,
          },
        ],
        causedBy(ctx),
      );
      // The client may have been deleted while we created the task; the deletion's
      // cancel pass may have run before our task existed, so close that gap ourselves.
      const after = await clientStatus(deps.store, agentId, p.client_id);
      if (after === 'deleted' || after === 'unsubscribed') {
        const reason = after === 'deleted' ? 'client_deleted' : 'client_unsubscribed';
        const cancelled = await deps.tasks.handle(agentId, taskId, () => [{ type: 'CancelTask', data: { reason } }], causedBy(ctx));
        return reply(cancelled, created);
      }
      return reply(created);
    },

    async update_task(p, ctx) {
      if (p.status !== undefined && p.scheduled_for !== undefined)
        throw new DomainError('validation', 'a task is either closed (status) or rescheduled (scheduled_for), not both', [
          { pointer: '/scheduled_for', detail: 'cannot be combined with status' },
        ]);
      const result = await deps.tasks.handle(
        ctx.meta.agent_id,
        p.task_id,
        (state, at) => {
          if (state.status === 'absent') throw new DomainError('not_found', 'task not found');
          const commands: TaskCommand[] = [];
          if (p.priority !== undefined || p.notes !== undefined)
            commands.push({ type: 'ChangeTaskDetails', data: { ...(p.priority !== undefined ? { priority: p.priority } : {}), ...(p.notes !== undefined ? { notes: p.notes } : {}) } });
          if (p.scheduled_for !== undefined) commands.push({ type: 'RescheduleTask', data: { scheduled_for: p.scheduled_for }, now: at });
          if (p.status === 'completed') commands.push({ type: 'CompleteTask', data: { by: 'agent', email_id: null }, now: at });
          if (p.status === 'skipped') commands.push({ type: 'SkipTask' });
          return commands;
        },
        causedBy(ctx),
      );
      return reply(result);
    },
  };
}
