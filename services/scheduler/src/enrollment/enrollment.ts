import type { EnrollmentEndReason, EnrollmentStatus, Envelope, EventData } from '@realtoros/contracts';

/**
 * The enrolment aggregate: one subject per client, `sched.<agent>.enrollment.<client_id>`
 * (aggregate id = the client id), holding its enrolments one after another. At most one is
 * live (active or paused) at a time; each has its own id, from which its task ids derive.
 */
export const ENROLLMENT_EVENT_TYPES = [
  'ClientEnrolled',
  'EnrollmentPaused',
  'EnrollmentResumed',
  'EnrollmentEnded',
  'EnrollmentMigrated',
] as const;
export type EnrollmentEventType = (typeof ENROLLMENT_EVENT_TYPES)[number];
export type EnrollmentEventDraft = { [K in EnrollmentEventType]: { type: K; data: EventData<K> } }[EnrollmentEventType];
export const isEnrollmentEventType = (t: string): t is EnrollmentEventType => (ENROLLMENT_EVENT_TYPES as readonly string[]).includes(t);

export type EnrollmentRecord = {
  enrollment_id: string;
  client_id: string;
  plan_id: string;
  plan_name: string;
  /** The version it joined at; tasks may exist for every version from here to `plan_version`. */
  enrolled_version: number;
  /** The version it is on now (a plan edit applied to current enrolments migrates it). */
  plan_version: number;
  status: EnrollmentStatus;
  ended_reason: EnrollmentEndReason | null;
  /** The anchor its steps count from. */
  enrolled_at: string;
  source: EventData<'ClientEnrolled'>['source'];
  /** While paused: when the pause began, and when it ends by itself (null: until resumed). */
  paused_at: string | null;
  paused_until: string | null;
  /** Total time spent paused (every resume adds its `paused_ms`): the steps move on by this much. */
  paused_ms: number;
  updated_at: string;
};

export type EnrollmentState = {
  /** Every enrolment of the client, oldest first; the last is the current (or last) one. */
  enrollments: EnrollmentRecord[];
  /** The commands and events that wrote it (causation ids): the agent's retried command is a repeat. */
  causes: string[];
};
export const initialEnrollmentState: EnrollmentState = { enrollments: [], causes: [] };

export const currentEnrollment = (s: EnrollmentState): EnrollmentRecord | null => s.enrollments.at(-1) ?? null;
export const isLive = (r: EnrollmentRecord | null): r is EnrollmentRecord => r !== null && (r.status === 'active' || r.status === 'paused');
export const liveEnrollment = (s: EnrollmentState): EnrollmentRecord | null => {
  const r = currentEnrollment(s);
  return isLive(r) ? r : null;
};
export const findEnrollment = (s: EnrollmentState, enrollmentId: string): EnrollmentRecord | null =>
  s.enrollments.find((r) => r.enrollment_id === enrollmentId) ?? null;

/** The anchor the steps are placed from now: enrolled_at moved on by the time spent paused. */
export const anchorOf = (r: EnrollmentRecord): string => new Date(Date.parse(r.enrolled_at) + r.paused_ms).toISOString();

export function evolveEnrollment(state: EnrollmentState, event: Envelope<EnrollmentEventType>): EnrollmentState {
  const next = evolveRecords(state, event);
  return event.causation_id && !next.causes.includes(event.causation_id) ? { ...next, causes: [...next.causes, event.causation_id] } : next;
}

function evolveRecords(state: EnrollmentState, event: Envelope<EnrollmentEventType>): EnrollmentState {
  const at = event.occurred_at;
  if (event.type === 'ClientEnrolled') {
    const d = event.data;
    if (findEnrollment(state, d.enrollment_id)) return state;
    const record: EnrollmentRecord = {
      enrollment_id: d.enrollment_id,
      client_id: d.client_id,
      plan_id: d.plan_id,
      plan_name: d.plan_name,
      enrolled_version: d.plan_version,
      plan_version: d.plan_version,
      status: 'active',
      ended_reason: null,
      enrolled_at: d.enrolled_at,
      source: d.source,
      paused_at: null,
      paused_until: null,
      paused_ms: 0,
      updated_at: at,
    };
    return { ...state, enrollments: [...state.enrollments, record] };
  }
  const update = (fn: (r: EnrollmentRecord) => EnrollmentRecord): EnrollmentState => ({
    ...state,
    enrollments: state.enrollments.map((r) => (r.enrollment_id === event.data.enrollment_id ? { ...fn(r), updated_at: at } : r)),
  });
  switch (event.type) {
    case 'EnrollmentPaused':
      // Paused again while paused (a reply after an out-of-office): the pause began at the first.
      return update((r) => ({
        ...r,
        status: 'paused',
        paused_at: r.status === 'paused' ? r.paused_at : at,
        paused_until: event.data.until,
      }));
    case 'EnrollmentResumed':
      return update((r) => ({
        ...r,
        status: 'active',
        paused_at: null,
        paused_until: null,
        paused_ms: r.paused_ms + event.data.paused_ms,
      }));
    case 'EnrollmentEnded':
      return update((r) => ({ ...r, status: 'ended', ended_reason: event.data.reason, paused_at: null, paused_until: null }));
    case 'EnrollmentMigrated':
      return update((r) => ({ ...r, plan_version: Math.max(r.plan_version, event.data.to_version) }));
    default:
      event satisfies never;
      return state;
  }
}

/** The enrolment as the API shows it (`Enrollment` in libs/contracts/src/api.ts). */
export function enrollmentView(r: EnrollmentRecord) {
  return {
    enrollment_id: r.enrollment_id,
    plan_id: r.plan_id,
    plan_name: r.plan_name,
    plan_version: r.plan_version,
    status: r.status,
    ended_reason: r.ended_reason,
    enrolled_at: r.enrolled_at,
    paused_until: r.paused_until,
  };
}
