import type {
  AgentSettings,
  Enrollment,
  EnrollmentEndReason,
  EnrollmentStatus,
  Plan,
  TaskHoldReason,
  TaskStatus,
} from '@realtoros/contracts';
import { DEFAULT_AGENT_SETTINGS } from '@realtoros/contracts';
import type { Db } from '@realtoros/db';
import type { PlanStep, PlanTaskSnapshot, PlanVersion } from '@realtoros/planning';
import { sql } from 'kysely';
import { toJson } from './rows.ts';

/**
 * Plans, enrolments and settings (issue 8). As everywhere in this module set, `agent_id =
 * $agent` is the first condition of every query, so another agent's plan, enrolment or
 * settings read as not there.
 */

/** The statuses of a live enrolment: it still plans, holds or sends steps. */
const LIVE = ['active', 'paused'] as const;

const PLAN_COLUMNS = [
  'p.id',
  'p.agent_id',
  'p.name',
  'p.version',
  'p.steps',
  'p.stop_stages',
  'p.stage_trigger',
  'p.on_reply',
  'p.is_default',
  'p.created_at',
  'p.updated_at',
] as const;

function livePlansOf(db: Db, agentId: string) {
  return db.selectFrom('plans as p').where('p.agent_id', '=', agentId).where('p.is_deleted', '=', false);
}

/** Clients on the plan now (active or paused): one index range count per plan. */
const enrolledCount = (agentId: string) =>
  sql<string>`(SELECT count(*) FROM enrollments AS e
    WHERE e.agent_id = ${agentId} AND e.plan_id = p.id AND e.status IN ('active', 'paused'))`.as('enrolled_count');

type PlanRow = Omit<Plan, 'enrolled_count'> & { enrolled_count: string | number };
const toPlan = <R extends PlanRow>(row: R) => ({ ...(toJson(row) as unknown as R), enrolled_count: Number(row.enrolled_count) });

/** `GET /api/plans`: the agent's live plans with how many clients are on each; the default plan first, then by name. */
export async function listPlans(db: Db, agentId: string): Promise<Plan[]> {
  const rows = await livePlansOf(db, agentId)
    .select([...PLAN_COLUMNS, enrolledCount(agentId)])
    .orderBy('p.is_default', 'desc')
    .orderBy('p.name')
    .orderBy('p.id')
    .execute();
  return rows.map((r) => toPlan(r as unknown as PlanRow) as Plan);
}

/**
 * One live plan (its current version) with its enrolled count and `aggregate_seq` (the ETag
 * source: the stream sequence of the last event on its subject). Another agent's plan, an
 * unknown one and a deleted one are all null.
 */
export async function getPlan(db: Db, agentId: string, planId: string): Promise<(Plan & { aggregate_seq: number | null }) | null> {
  const row = await livePlansOf(db, agentId)
    .select([...PLAN_COLUMNS, 'p.aggregate_seq', enrolledCount(agentId)])
    .where('p.id', '=', planId)
    .executeTakeFirst();
  return row ? (toPlan(row as unknown as PlanRow & { aggregate_seq: number | null }) as Plan & { aggregate_seq: number | null }) : null;
}

/** Version `version` of a plan, as it was written (deleted plans' versions too: tasks still name them). */
export async function getPlanVersion(db: Db, agentId: string, planId: string, version: number): Promise<PlanVersion | null> {
  const row = await db
    .selectFrom('plan_versions')
    .select(['plan_id', 'name', 'version', 'steps'])
    .where('agent_id', '=', agentId)
    .where('plan_id', '=', planId)
    .where('version', '=', version)
    .executeTakeFirst();
  return row ? { plan_id: row.plan_id, name: row.name, version: row.version, steps: row.steps as PlanStep[] } : null;
}

/** `GET /api/settings`: the agent's settings whole; the defaults for whatever it never changed (and for an agent with no row). */
export async function getSettings(db: Db, agentId: string): Promise<AgentSettings> {
  const row = await db.selectFrom('agent_settings').select('settings').where('agent_id', '=', agentId).executeTakeFirst();
  const stored = (row?.settings ?? {}) as Partial<AgentSettings>;
  // Only known fields, each from the row when it has it: a field added later reads as its default.
  return Object.fromEntries(
    Object.entries(DEFAULT_AGENT_SETTINGS).map(([k, v]) => [k, Object.hasOwn(stored, k) ? stored[k as keyof AgentSettings] : v]),
  ) as AgentSettings;
}

// ---------------------------------------------------------------------------------------
// Enrolments

export type EnrollmentRow = {
  client_id: string;
  enrollment_id: string;
  plan_id: string;
  plan_name: string;
  plan_version: number;
  status: string;
  ended_reason: string | null;
  enrolled_at: Date;
  paused_until: Date | null;
};

export const toEnrollment = (r: EnrollmentRow): Enrollment => ({
  enrollment_id: r.enrollment_id,
  plan_id: r.plan_id,
  plan_name: r.plan_name,
  plan_version: r.plan_version,
  status: r.status as EnrollmentStatus,
  ended_reason: (r.ended_reason as EnrollmentEndReason | null) ?? null,
  enrolled_at: r.enrolled_at.toISOString(),
  paused_until: r.paused_until ? r.paused_until.toISOString() : null,
});

/**
 * The clients' current (or last) enrolments, by client id. The plan's name is its current
 * one (a renamed plan reads the same on the plans page and the client page), else the name
 * the enrolment recorded.
 */
export async function enrollmentsOf(db: Db, agentId: string, clientIds: readonly string[]): Promise<Map<string, Enrollment>> {
  if (clientIds.length === 0) return new Map();
  const rows = await db
    .selectFrom('enrollments as e')
    .leftJoin('plans as p', (j) => j.onRef('p.id', '=', 'e.plan_id').onRef('p.agent_id', '=', 'e.agent_id'))
    .select([
      'e.client_id',
      'e.enrollment_id',
      'e.plan_id',
      sql<string>`coalesce(p.name, e.plan_name)`.as('plan_name'),
      'e.plan_version',
      'e.status',
      'e.ended_reason',
      'e.enrolled_at',
      'e.paused_until',
    ])
    .where('e.agent_id', '=', agentId)
    .where('e.client_id', 'in', [...new Set(clientIds)])
    .execute();
  return new Map(rows.map((r) => [r.client_id, toEnrollment(r)]));
}

/** `enrollment` of a client: its current or last enrolment, null when it was never enrolled (or is another agent's). */
export async function getEnrollment(db: Db, agentId: string, clientId: string): Promise<Enrollment | null> {
  return (await enrollmentsOf(db, agentId, [clientId])).get(clientId) ?? null;
}

/** One live enrolment on a plan, with what planChangeEffects (libs/planning) needs to compute an edit's effect on it. */
export type PlanPreviewEnrollment = {
  client_id: string;
  enrollment_id: string;
  status: 'active' | 'paused';
  /** The version the enrolment is on, whole: planChangeEffects' `from`. */
  from: PlanVersion;
  /** ClientEnrolled.enrolled_at. */
  enrolled_at: string;
  /** Total length of the pauses that ended (EnrollmentResumed.paused_ms). */
  paused_ms: number;
  /** enrolled_at + paused_ms: planChangeEffects' `anchor` (a pause still running is not in it: see paused_at). */
  anchor: string;
  /** When the running pause began, and when it ends by itself (null: when the agent resumes it); both null when active. */
  paused_at: string | null;
  paused_until: string | null;
  /** The client's own zone (planChangeEffects' `clientZone`); null → the agent's. */
  time_zone: string | null;
  /** The enrolment's tasks, every status, by step id: planChangeEffects' `tasks`. */
  tasks: Record<string, PlanTaskSnapshot>;
};

/**
 * The live (active or paused) enrolments on a plan, each with its own version's steps, its
 * anchor, the client's zone and its tasks by step — the inputs of a plan edit's preview.
 * Two statements whatever the number of enrolments (enrolments with their clients, then
 * their tasks), plus one per distinct version they are on. A deleted client's enrolment is
 * left out (it ended, or is about to); one whose client row is not projected yet is kept
 * (zone null). Empty for another agent's plan.
 */
export async function planPreviewInputs(db: Db, agentId: string, planId: string): Promise<PlanPreviewEnrollment[]> {
  const live = db
    .selectFrom('enrollments as e')
    .where('e.agent_id', '=', agentId)
    .where('e.plan_id', '=', planId)
    .where('e.status', 'in', LIVE);
  const [enrollments, tasks] = await Promise.all([
    live
      .leftJoin('clients as c', (j) => j.onRef('c.id', '=', 'e.client_id').onRef('c.agent_id', '=', 'e.agent_id'))
      .where(sql<boolean>`c.is_deleted IS NOT TRUE`)
      .select([
        'e.client_id',
        'e.enrollment_id',
        'e.status',
        'e.plan_version',
        'e.enrolled_at',
        'e.paused_ms',
        'e.paused_at',
        'e.paused_until',
        sql<string | null>`c.time_zone`.as('time_zone'),
      ])
      .orderBy('e.client_id')
      .execute(),
    live
      .innerJoin('tasks as t', (j) => j.onRef('t.enrollment_id', '=', 'e.enrollment_id').onRef('t.agent_id', '=', 'e.agent_id'))
      .where('t.step_id', 'is not', null)
      .select(['t.enrollment_id', 't.step_id', 't.id', 't.status', 't.scheduled_for', 't.pinned', 't.held_reason'])
      .execute(),
  ]);
  const versions = new Map<number, PlanVersion | null>();
  for (const v of new Set(enrollments.map((e) => e.plan_version))) versions.set(v, await getPlanVersion(db, agentId, planId, v));
  const byEnrollment = new Map<string, Record<string, PlanTaskSnapshot>>();
  for (const t of tasks) {
    if (!t.enrollment_id || !t.step_id) continue;
    const steps = byEnrollment.get(t.enrollment_id) ?? {};
    byEnrollment.set(t.enrollment_id, steps);
    steps[t.step_id] = {
      task_id: t.id,
      status: t.status as TaskStatus,
      scheduled_for: t.scheduled_for.toISOString(),
      pinned: t.pinned,
      held_reason: (t.held_reason as TaskHoldReason | null) ?? null,
    };
  }
  return enrollments.flatMap((e) => {
    const from = versions.get(e.plan_version);
    if (!from) return []; // a version the read model has not seen yet (still projecting)
    const pausedMs = Number(e.paused_ms);
    return [
      {
        client_id: e.client_id,
        enrollment_id: e.enrollment_id,
        status: e.status as 'active' | 'paused',
        from,
        enrolled_at: e.enrolled_at.toISOString(),
        paused_ms: pausedMs,
        anchor: new Date(e.enrolled_at.getTime() + pausedMs).toISOString(),
        paused_at: e.paused_at ? e.paused_at.toISOString() : null,
        paused_until: e.paused_until ? e.paused_until.toISOString() : null,
        time_zone: e.time_zone,
        tasks: byEnrollment.get(e.enrollment_id) ?? {},
      },
    ];
  });
}
