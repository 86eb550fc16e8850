import type { EventData, FollowupType, Priority, TaskHoldReason, TaskStatus } from '@realtoros/contracts';

/**
 * The follow-up task aggregate: its events, its state and `evolve`. One task = one subject
 * `sched.<agent>.task.<task>`; the state is a left fold of that subject's events.
 */
export const TASK_EVENT_TYPES = [
  'TaskScheduled',
  'TaskRescheduled',
  'TaskHeld',
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

/** Where a planned task came from (enrolment, plan version, step, action, instructions). */
export type TaskPlanRef = NonNullable<EventData<'TaskScheduled'>['plan']>;
/** How its time was placed (window or exact, the zone, the time before the window moved it). */
export type TaskTiming = NonNullable<EventData<'TaskScheduled'>['timing']>;

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
  /** Planned from an enrolment (null on manual tasks and on tasks planned before plans existed). */
  plan: TaskPlanRef | null;
  timing: TaskTiming | null;
  /** The agent rescheduled it by hand: plan edits and resumes leave its time alone. */
  pinned: boolean;
  /** Set while a due step is held back (TaskHeld); cleared when it fires or is rescheduled elsewhere. */
  held_reason: TaskHoldReason | null;
  /** A daily-cap hold: the slot it goes at (= scheduled_for); null for a pause. */
  held_until: string | null;
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
      plan: d.plan ?? null,
      timing: d.timing ?? null,
      pinned: false,
      held_reason: null,
      held_until: null,
    };
  }
  if (state.status === 'absent') return state;
  const at = { updated_at: event.occurred_at };
  switch (event.type) {
    case 'TaskRescheduled': {
      const d = event.data;
      // A plan edit keeps a held step held: a paused one stays paused (only the resume
      // releases it), a cap-held one whose slot the edit left alone stays at that slot (the
      // cap is checked again when it goes).
      const stillHeld =
        d.by === 'plan_change' &&
        (state.held_reason === 'paused' || (state.held_until !== null && Date.parse(d.scheduled_for) === Date.parse(state.held_until)));
      return {
        ...state,
        ...at,
        status: 'pending',
        scheduled_for: d.scheduled_for,
        version: d.version,
        failure_reason: null,
        // Absent `by` (older events) = the agent.
        pinned: state.pinned || d.by === undefined || d.by === 'agent',
        ...(d.plan ? { plan: d.plan } : {}),
        ...(d.timing ? { timing: d.timing } : {}),
        ...(stillHeld ? {} : { held_reason: null, held_until: null }),
      };
    }
    case 'TaskHeld': {
      const d = event.data;
      return {
        ...state,
        ...at,
        version: d.version,
        held_reason: d.reason,
        held_until: d.until,
        // A cap hold goes at `until`; a paused one keeps its time until the resume re-places it.
        scheduled_for: d.until ?? state.scheduled_for,
      };
    }
    case 'TaskDetailsChanged':
      return {
        ...state,
        ...at,
        ...(event.data.priority !== undefined ? { priority: event.data.priority } : {}),
        ...(event.data.notes !== undefined ? { notes: event.data.notes } : {}),
      };
    case 'TaskDue':
      return { ...state, ...at, status: 'due', held_reason: null, held_until: null };
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
  const { origin: _origin, plan, timing: _timing, pinned: _pinned, held_until: _heldUntil, ...view } = state;
  return {
    ...view,
    enrollment_id: plan?.enrollment_id ?? null,
    plan_id: plan?.plan_id ?? null,
    plan_version: plan?.plan_version ?? null,
    step_label: plan?.step_label ?? null,
    action: plan?.action ?? null,
    held_reason: state.held_reason,
  };
}
