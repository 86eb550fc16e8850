import type { EventData, FollowupType, Priority, TaskStatus } from '@realtoros/contracts';

/**
 * The follow-up task aggregate: its events, its state and `evolve`. One task = one subject
 * `sched.<agent>.task.<task>`; the state is a left fold of that subject's events.
 */
export const TASK_EVENT_TYPES = [
  'TaskScheduled',
  'TaskRescheduled',
  'TaskDetailsChanged',
  'TaskDue',
  'TaskCompleted',
  'TaskSkipped',
  'TaskFailed',
  'TaskCancelled',
] as const;
export type TaskEventType = (typeof TASK_EVENT_TYPES)[number];
export const isTaskEventType = (t: string): t is TaskEventType => (TASK_EVENT_TYPES as readonly string[]).includes(t);

/** What a decider produces: the event's type and data, without its envelope. */
export type TaskEventDraft = { [K in TaskEventType]: { type: K; data: EventData<K> } }[TaskEventType];

/** A stored task event: the draft plus the envelope fields `evolve` reads (an Envelope fits). */
export type TaskEvent = TaskEventDraft & { agent_id: string; aggregate_id: string; occurred_at: string };

export type ExistingTask = {
  status: TaskStatus;
  id: string;
  agent_id: string;
  client_id: string;
  followup_type: FollowupType;
  scheduled_for: string;
  priority: Priority;
  notes: string | null;
  origin: 'plan' | 'manual';
  /** The schedule version: bumped by every reschedule; a timer fires only for the current one. */
  version: number;
  email_sent_id: string | null;
  created_at: string;
  updated_at: string;
  completed_at: string | null;
  failure_reason: string | null;
};
export type TaskState = { status: 'absent' } | ExistingTask;

export const initialState: TaskState = { status: 'absent' };

/** Completed, skipped and cancelled tasks are closed for good; `failed` can still be retried. */
export const TERMINAL_STATUSES: readonly TaskStatus[] = ['completed', 'skipped', 'cancelled'];
export const isTerminal = (s: TaskState): boolean => s.status !== 'absent' && TERMINAL_STATUSES.includes(s.status);

export function evolve(state: TaskState, event: TaskEvent): TaskState {
  if (event.type === 'TaskScheduled') {
    if (state.status !== 'absent') return state;
    const d = event.data;
    return {
      status: 'pending',
      id: event.aggregate_id,
      agent_id: event.agent_id,
      client_id: d.client_id,
      followup_type: d.followup_type,
      scheduled_for: d.scheduled_for,
      priority: d.priority,
      notes: d.notes,
      origin: d.origin,
      version: d.version,
      email_sent_id: null,
      created_at: event.occurred_at,
      updated_at: event.occurred_at,
      completed_at: null,
      failure_reason: null,
    };
  }
  if (state.status === 'absent') return state;
  const at = { updated_at: event.occurred_at };
  switch (event.type) {
    case 'TaskRescheduled':
      return {
        ...state,
        ...at,
        status: 'pending',
        scheduled_for: event.data.scheduled_for,
        version: event.data.version,
        failure_reason: null,
      };
    case 'TaskDetailsChanged':
      return {
        ...state,
        ...at,
        ...(event.data.priority !== undefined ? { priority: event.data.priority } : {}),
        ...(event.data.notes !== undefined ? { notes: event.data.notes } : {}),
      };
    case 'TaskDue':
      return { ...state, ...at, status: 'due' };
    case 'TaskCompleted':
      return {
        ...state,
        ...at,
        status: 'completed',
        completed_at: event.data.completed_at,
        email_sent_id: event.data.email_id ?? state.email_sent_id,
      };
    case 'TaskSkipped':
      return { ...state, ...at, status: 'skipped' };
    case 'TaskFailed':
      return { ...state, ...at, status: 'failed', failure_reason: event.data.reason };
    case 'TaskCancelled':
      return { ...state, ...at, status: 'cancelled' };
    default:
      event satisfies never; // a new task event must be folded here (compile error otherwise)
      return state;
  }
}

export const fold = (events: readonly TaskEvent[], from: TaskState = initialState): TaskState => events.reduce(evolve, from);

/** The task as the API shows it (`Task` in libs/contracts/src/api.ts), from its state. */
export function taskView(state: ExistingTask) {
  const { origin: _origin, ...view } = state;
  return view;
}
