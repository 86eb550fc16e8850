import { Type } from '@sinclair/typebox';
import { Text, Timestamp, Uuid } from '../common.ts';
import { FollowupType, Priority } from '../enums.ts';

/** `version` is the task's schedule version: a timer fires only for the current one. */
export const TaskScheduled = Type.Object({
  client_id: Uuid,
  followup_type: FollowupType,
  scheduled_for: Timestamp,
  priority: Priority,
  notes: Type.Union([Text({ maxLength: 2000 }), Type.Null()]),
  version: Type.Integer({ minimum: 1 }),
  origin: Type.Union([Type.Literal('plan'), Type.Literal('manual')]),
});
export const TaskRescheduled = Type.Object({
  client_id: Uuid,
  scheduled_for: Timestamp,
  previous: Timestamp,
  version: Type.Integer({ minimum: 1 }),
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
 * `stage_lost` / `stage_closed`: the client moved to that stage, which stops its automated
 * (origin `plan`) follow-ups; the names are ARCHITECTURE.md §10's enrolment end reasons.
 */
export const TaskCancelled = Type.Object({
  client_id: Uuid,
  reason: Type.Union([
    Type.Literal('client_deleted'),
    Type.Literal('client_unsubscribed'),
    Type.Literal('stage_lost'),
    Type.Literal('stage_closed'),
  ]),
});
