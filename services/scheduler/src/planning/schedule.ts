import { FOLLOWUP_TYPES, PRIORITIES, type EventData, type FollowupType, type Priority } from '@realtoros/contracts';
import { deterministicId } from '@realtoros/messaging';
import type { TaskCommand } from '../task/decide.ts';

/** One follow-up of the plan: its kind, how long after the client's creation, how urgent. */
export type FollowupPlan = { followup_type: Exclude<FollowupType, 'Custom'>; offset_seconds: number; priority: Priority };

const DAY = 86_400;
/** ARCHITECTURE.md §7: Day 1 (1 day, high), Day 3 (3 days, medium), Week 1 (7, medium), Week 2 (14, low), Month 1 (30, low). */
export const DEFAULT_SCHEDULE: readonly FollowupPlan[] = [
  { followup_type: 'Day 1', offset_seconds: 1 * DAY, priority: 'high' },
  { followup_type: 'Day 3', offset_seconds: 3 * DAY, priority: 'medium' },
  { followup_type: 'Week 1', offset_seconds: 7 * DAY, priority: 'medium' },
  { followup_type: 'Week 2', offset_seconds: 14 * DAY, priority: 'low' },
  { followup_type: 'Month 1', offset_seconds: 30 * DAY, priority: 'low' },
];

/** The kinds the planner may create; their task ids are derived from (client, kind). */
export const PLANNED_TYPES = FOLLOWUP_TYPES.filter((t): t is FollowupPlan['followup_type'] => t !== 'Custom');

/**
 * Parses FOLLOWUP_SCHEDULE. Either a list
 *   `[{"followup_type":"Day 1","offset_seconds":30,"priority":"high"}, …]`
 * or a map `{"Day 1":{"offset_seconds":30,"priority":"high"}, …}`; `offset_days` may stand
 * in for `offset_seconds`; a missing priority takes the kind's default. Throws a one-line
 * message on anything else.
 */
export function parseSchedule(json: string): FollowupPlan[] {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    throw new Error('is not valid JSON');
  }
  const entries: unknown[] = Array.isArray(raw)
    ? raw
    : raw && typeof raw === 'object'
      ? Object.entries(raw).map(([k, v]) => ({ followup_type: k, ...(v && typeof v === 'object' ? v : { offset_seconds: v }) }))
      : [];
  if (entries.length === 0) throw new Error('must be a non-empty list or map of follow-ups');
  const seen = new Set<string>();
  return entries.map((e, i) => {
    const o = (e ?? {}) as Record<string, unknown>;
    const type = o.followup_type ?? o.type;
    if (typeof type !== 'string' || !(PLANNED_TYPES as readonly string[]).includes(type))
      throw new Error(`entry ${i}: followup_type must be one of ${PLANNED_TYPES.join(', ')}`);
    if (seen.has(type)) throw new Error(`entry ${i}: ${type} appears twice`);
    seen.add(type);
    const seconds = typeof o.offset_seconds === 'number' ? o.offset_seconds : typeof o.offset_days === 'number' ? o.offset_days * DAY : NaN;
    if (!Number.isFinite(seconds) || seconds < 0) throw new Error(`entry ${i}: offset_seconds (or offset_days) must be a number ≥ 0`);
    const fallback = DEFAULT_SCHEDULE.find((d) => d.followup_type === type)?.priority ?? 'medium';
    const priority = o.priority ?? fallback;
    if (typeof priority !== 'string' || !(PRIORITIES as readonly string[]).includes(priority))
      throw new Error(`entry ${i}: priority must be one of ${PRIORITIES.join(', ')}`);
    return { followup_type: type as FollowupPlan['followup_type'], offset_seconds: seconds, priority: priority as Priority };
  });
}

/** A planned task's id: derived from (client, kind), so planning twice targets the same task. */
export const plannedTaskId = (clientId: string, followupType: FollowupType): string => deterministicId(clientId, followupType);

/**
 * The planning workflow: ClientCreated → one ScheduleTask per follow-up of the plan, timed
 * from when the client was created (not from when we happen to process it), so a replay
 * or redelivery plans exactly the same tasks.
 */
export function planFollowups(
  client: { client_id: string; created_at: string; data: EventData<'ClientCreated'> },
  schedule: readonly FollowupPlan[],
  now: string,
): { task_id: string; command: Extract<TaskCommand, { type: 'ScheduleTask' }> }[] {
  const base = Date.parse(client.created_at);
  return schedule.map((p) => ({
    task_id: plannedTaskId(client.client_id, p.followup_type),
    command: {
      type: 'ScheduleTask',
      data: {
        client_id: client.client_id,
        followup_type: p.followup_type,
        scheduled_for: new Date(base + p.offset_seconds * 1000).toISOString(),
        priority: p.priority,
        notes: null,
        origin: 'plan',
      },
      now,
    },
  }));
}
