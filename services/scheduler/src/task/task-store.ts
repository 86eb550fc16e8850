import { subjects, type Envelope } from '@realtoros/contracts';
import { ConcurrencyError, decodeEvent, deterministicId, newEvent, type EventStore } from '@realtoros/messaging';
import { decideAll, type TaskCommand } from './decide.ts';
import { fold, initialState, isTaskEventType, type TaskEvent, type TaskEventDraft, type TaskState } from './task.ts';

export type LoadedTask = { state: TaskState; lastSeq: number };
/** `events`: what this call appended (not what a concurrent writer appended under the same id). */
export type HandleResult = { state: TaskState; events: Envelope[]; position: { stream: 'SCHEDULER'; seq: number } | null };
export type HandleOptions = {
  now: () => Date;
  correlationId: string;
  /** The command or event that caused these events; also keys their deterministic ids. */
  causationId: string;
  traceparent?: string | null;
  /** Override the event id (e.g. TaskDue keys on the schedule version, not on its cause). */
  eventId?: (draft: TaskEventDraft) => string;
};

/**
 * Loads tasks from their subject and appends what the decider decides, with optimistic
 * concurrency on the task subject (expected last subject sequence = the state we decided
 * on). Losing the race re-reads and decides again, so two writers never both act on the
 * same state. Event ids are derived from (type, task, cause), so a retried command or a
 * redelivered event can only ever produce the same events.
 */
export function createTaskStore(store: EventStore) {
  async function load(agentId: string, taskId: string): Promise<LoadedTask> {
    const subject = subjects.task(agentId, taskId);
    // Fast path (the timer's common case): the last event is the first one.
    const last = await store.jsm.direct.getMessage('SCHEDULER', { last_by_subj: subject });
    if (!last) return { state: initialState, lastSeq: 0 };
    const lastEvent = decodeEvent(last.data);
    if (lastEvent.type === 'TaskScheduled') return { state: fold([lastEvent as TaskEvent]), lastSeq: last.seq };
    const { events, lastSeq } = await store.readSubject('SCHEDULER', subject);
    return { state: fold(events.map((e) => e.event).filter((e): e is Envelope & TaskEvent => isTaskEventType(e.type))), lastSeq };
  }

  async function handle(
    agentId: string,
    taskId: string,
    commands: (state: TaskState, now: string) => readonly TaskCommand[],
    opts: HandleOptions,
  ): Promise<HandleResult> {
    for (let attempt = 1; ; attempt++) {
      const { state, lastSeq } = await load(agentId, taskId);
      const now = opts.now().toISOString();
      const decided = decideAll(commands(state, now), state, { agent_id: agentId, aggregate_id: taskId, now });
      if (decided.events.length === 0) return { state, events: [], position: null };
      try {
        let expected = lastSeq;
        const appended: Envelope[] = [];
        for (const draft of decided.events) {
          const event = newEvent(draft.type, {
            id: opts.eventId?.(draft) ?? deterministicId(draft.type, taskId, opts.causationId),
            agentId,
            aggregateId: taskId,
            data: draft.data as never,
            correlationId: opts.correlationId,
            causationId: opts.causationId,
            occurredAt: new Date(now),
          });
          const ack = await store.append(event, { expectedLastSubjectSeq: expected, traceparent: opts.traceparent ?? null });
          expected = ack.seq;
          // A duplicate: the same event (same derived id) was already appended by another writer.
          if (!ack.duplicate) appended.push(event);
        }
        return { state: decided.state, events: appended, position: { stream: 'SCHEDULER', seq: expected } };
      } catch (err) {
        if (err instanceof ConcurrencyError && attempt < 8) continue;
        throw err;
      }
    }
  }

  return { load, handle };
}
export type TaskStore = ReturnType<typeof createTaskStore>;
