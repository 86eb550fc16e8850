import { Type } from '@sinclair/typebox';
import { Text, TimeOfDay, Timestamp, TimeZone, Uuid } from '../common.ts';
import { TemplateUse } from './crm.ts';
import { ClientStage, EnrollmentEndReason, FollowupType, PlanAction, Priority, TaskCancelReason, TaskHoldReason } from '../enums.ts';

const Nullable = <T extends import('@sinclair/typebox').TSchema>(t: T) => Type.Union([t, Type.Null()]);

// ---------------------------------------------------------------------------------------
// Plans (`sched.<agent>.plan.<plan_id>`): every version is stored whole, so a version can
// be read from its own event (versions are immutable once written).

/** A step's stable key within its plan: kept across versions, so an edit can tell a moved step from a new one. */
export const StepId = Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,63}$' });
export const PlanStep = Type.Object({
  id: StepId,
  label: Text({ minLength: 1, maxLength: 100 }),
  /** Whole calendar days after the enrolment's local date (a day step keeps its local time across DST). */
  offset_days: Type.Integer({ minimum: 0, maximum: 3650 }),
  /**
   * Demo and test schedules only (FOLLOWUP_SCHEDULE in seconds): the step goes exactly this
   * many seconds after the enrolment, outside any sending window. Never set through the API.
   */
  offset_seconds: Type.Optional(Type.Integer({ minimum: 0 })),
  /** "HH:MM" in the client's zone; null → the window's start plus the client's spread. */
  time_of_day: Nullable(TimeOfDay),
  priority: Priority,
  action: PlanAction,
  /** What the AI should aim for in this step (purpose, tone). */
  instructions: Nullable(Text({ maxLength: 2000 })),
  /** One of the agent's templates (issue 10), and how the email uses it (absent: `as_is`). */
  template_id: Nullable(Uuid),
  template_use: Type.Optional(TemplateUse),
});
/** One version of a plan, whole. */
export const PlanVersionData = {
  name: Text({ minLength: 1, maxLength: 100 }),
  version: Type.Integer({ minimum: 1 }),
  steps: Type.Array(PlanStep, { minItems: 1, maxItems: 30 }),
  /** Stages that end an enrolment in this plan (default lost and closed). */
  stop_stages: Type.Array(ClientStage, { maxItems: 7 }),
  /** Moving a client to this stage enrols it in this plan (ending its current enrolment). */
  stage_trigger: Nullable(ClientStage),
  /** The plan new clients join unless the form picks another (or none). */
  is_default: Type.Boolean(),
  /**
   * What a client's reply (a person's, not an automatic one) does to an enrolment in this
   * plan: `end` it (reason `replied`) or `pause` it until the agent resumes it. Absent in
   * events written before the option existed: `end`.
   */
  on_reply: Type.Optional(Type.Union([Type.Literal('end'), Type.Literal('pause')])),
};
export const PlanCreated = Type.Object(PlanVersionData);
/** A new version. `apply_to`: `current` moves the enrolled clients onto it; `new` leaves them on theirs. */
export const PlanChanged = Type.Object({ ...PlanVersionData, apply_to: Type.Union([Type.Literal('current'), Type.Literal('new')]) });
export const PlanDeleted = Type.Object({ name: Text({ minLength: 1, maxLength: 100 }), version: Type.Integer({ minimum: 1 }) });

// ---------------------------------------------------------------------------------------
// Enrolments (`sched.<agent>.enrollment.<client_id>`): a client is in at most one plan at a
// time; each enrolment has its own id (task ids derive from it and the step id).

export const ClientEnrolled = Type.Object({
  client_id: Uuid,
  enrollment_id: Uuid,
  plan_id: Uuid,
  plan_name: Text({ minLength: 1, maxLength: 100 }),
  plan_version: Type.Integer({ minimum: 1 }),
  /** The anchor steps count from. */
  enrolled_at: Timestamp,
  /** What enrolled the client: its creation (default plan or the form's pick), a stage's trigger, the agent, an import. */
  source: Type.Union([Type.Literal('created'), Type.Literal('stage'), Type.Literal('manual'), Type.Literal('import')]),
});
export const EnrollmentPaused = Type.Object({
  client_id: Uuid,
  enrollment_id: Uuid,
  /** `replied`: the client wrote back and the plan says pause (`on_reply`), not end. */
  reason: Type.Union([Type.Literal('manual'), Type.Literal('auto_reply'), Type.Literal('replied')]),
  /** When it resumes by itself; null → until the agent resumes it. */
  until: Nullable(Timestamp),
});
export const EnrollmentResumed = Type.Object({
  client_id: Uuid,
  enrollment_id: Uuid,
  /** How long it was paused: the remaining steps move on by this much. */
  paused_ms: Type.Integer({ minimum: 0 }),
});
export const EnrollmentEnded = Type.Object({
  client_id: Uuid,
  enrollment_id: Uuid,
  plan_id: Uuid,
  reason: EnrollmentEndReason,
});
/** A plan edit applied to current enrolments moved this one to the plan's new version. */
export const EnrollmentMigrated = Type.Object({
  client_id: Uuid,
  enrollment_id: Uuid,
  plan_id: Uuid,
  from_version: Type.Integer({ minimum: 1 }),
  to_version: Type.Integer({ minimum: 1 }),
});

// ---------------------------------------------------------------------------------------
// Tasks (`sched.<agent>.task.<task_id>`)

/** Where a planned task came from: the enrolment, the plan version and the step. */
export const TaskPlanRef = Type.Object({
  enrollment_id: Uuid,
  plan_id: Uuid,
  plan_name: Text({ minLength: 1, maxLength: 100 }),
  plan_version: Type.Integer({ minimum: 1 }),
  step_id: StepId,
  /** 1-based position of the step in that version. */
  step_index: Type.Integer({ minimum: 1 }),
  step_label: Text({ minLength: 1, maxLength: 100 }),
  action: PlanAction,
  instructions: Nullable(Text({ maxLength: 2000 })),
  /** One of the agent's templates (issue 10), and how the email uses it (absent: `as_is`). */
  template_id: Nullable(Uuid),
  template_use: Type.Optional(TemplateUse),
});
/**
 * How a planned time was placed: `window` — computed in `time_zone` and, when it fell outside
 * the sending window, moved from `planned_for` into the next open slot; `exact` — a demo
 * step in seconds, no window.
 */
export const TaskTiming = Type.Object({
  planned_for: Timestamp,
  time_zone: TimeZone,
  placement: Type.Union([Type.Literal('window'), Type.Literal('exact')]),
});

/** `version` is the task's schedule version: a timer fires only for the current one. */
export const TaskScheduled = Type.Object({
  client_id: Uuid,
  followup_type: FollowupType,
  scheduled_for: Timestamp,
  priority: Priority,
  notes: Type.Union([Text({ maxLength: 2000 }), Type.Null()]),
  version: Type.Integer({ minimum: 1 }),
  origin: Type.Union([Type.Literal('plan'), Type.Literal('manual')]),
  /** Planned from an enrolment (absent on tasks planned before plans existed and on manual ones). */
  plan: Type.Optional(TaskPlanRef),
  timing: Type.Optional(TaskTiming),
});
/**
 * `by` (absent on older events = the agent): `agent` — kept as given, never moved into the
 * window; `plan_change` — a plan edit applied to current enrolments; `resume` — the enrolment
 * resumed after a pause; `cap` — released after a daily-cap hold. Planned ones carry `timing`.
 */
export const TaskRescheduled = Type.Object({
  client_id: Uuid,
  scheduled_for: Timestamp,
  previous: Timestamp,
  version: Type.Integer({ minimum: 1 }),
  by: Type.Optional(Type.Union([Type.Literal('agent'), Type.Literal('plan_change'), Type.Literal('resume')])),
  timing: Type.Optional(TaskTiming),
  /** With `plan_change`: the step as the new version has it. */
  plan: Type.Optional(TaskPlanRef),
});
/**
 * A due step held back. `daily_cap`: the agent's cap of automated emails for that local day
 * was reached; it goes at `until` (the next open slot), as schedule `version`. `paused`: its
 * enrolment is paused; `until` null, it waits for the resume (which reschedules it).
 */
export const TaskHeld = Type.Object({
  client_id: Uuid,
  reason: TaskHoldReason,
  /** When it was to go. */
  from: Timestamp,
  until: Nullable(Timestamp),
  version: Type.Integer({ minimum: 1 }),
  /** With daily_cap: the cap that was reached, and the zone its day is counted in. */
  cap: Type.Optional(Type.Integer({ minimum: 1 })),
  time_zone: Type.Optional(TimeZone),
});
export const TaskDetailsChanged = Type.Object({
  client_id: Uuid,
  priority: Type.Optional(Priority),
  notes: Type.Optional(Type.Union([Text({ maxLength: 2000 }), Type.Null()])),
});
export const TaskDue = Type.Object({
  client_id: Uuid,
  followup_type: FollowupType,
  scheduled_for: Timestamp,
  version: Type.Integer({ minimum: 1 }),
  fired_at: Timestamp,
  /** A planned step's action (absent = `email`) and its AI instructions, for the ai-agent. */
  action: Type.Optional(PlanAction),
  step_label: Type.Optional(Text({ minLength: 1, maxLength: 100 })),
  instructions: Type.Optional(Nullable(Text({ maxLength: 2000 }))),
  /** The step's template (issue 10), when it has one, and how to use it (absent: `as_is`). */
  template_id: Type.Optional(Uuid),
  template_use: Type.Optional(TemplateUse),
});
export const TaskCompleted = Type.Object({
  client_id: Uuid,
  by: Type.Union([Type.Literal('agent'), Type.Literal('email')]),
  email_id: Type.Union([Uuid, Type.Null()]),
  completed_at: Timestamp,
});
export const TaskSkipped = Type.Object({ client_id: Uuid });
export const TaskFailed = Type.Object({
  client_id: Uuid,
  reason: Text({ maxLength: 2000 }),
  email_id: Type.Union([Uuid, Type.Null()]),
});
/**
 * `client_deleted` / `client_unsubscribed`: the client's own facts (manual tasks too). Every
 * other reason is a rule ending automation — the enrolment's end reason (`stage_lost`,
 * `replaced`, …) or `step_removed` by a plan edit — and cancels planned (origin `plan`) tasks
 * only. `stage_lost`/`stage_closed` also close tasks planned before plans existed.
 */
export const TaskCancelled = Type.Object({
  client_id: Uuid,
  reason: TaskCancelReason,
});
