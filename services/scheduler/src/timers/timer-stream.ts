import { DiscardPolicy, RetentionPolicy, StorageType, type JetStreamClient, type JetStreamManager, type StreamConfig } from '@nats-io/jetstream';
import { ensureStream, natsReplicas } from '@realtoros/messaging';

/**
 * The timer stream (ARCHITECTURE.md §5): one subject per epoch minute, `timers.<minute>`.
 * A timer is a hint "task T's schedule version V is due at `at`"; the task's events stay
 * the truth. Internal to the scheduler.
 */
export const TIMER_STREAM = 'TIMERS';
export const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

/**
 * A task's schedule version falling due; or, with `resume_client_id`, an enrolment paused
 * until `at` (an auto-reply's pause) resuming by itself — `task_id` is then the enrolment's
 * id and `version` 0.
 */
export type Timer = { agent_id: string; task_id: string; version: number; /** epoch ms */ at: number; resume_client_id?: string };

export const minuteOf = (ms: number): number => Math.floor(ms / MINUTE_MS);
export const startOf = (minute: number): number => minute * MINUTE_MS;
export const endOf = (minute: number): number => (minute + 1) * MINUTE_MS;
export const timerSubject = (minute: number): string => `timers.${minute}`;
export const minuteOfSubject = (subject: string): number | null => {
  const m = /^timers\.(\d+)$/.exec(subject);
  return m ? Number(m[1]) : null;
};

/**
 * The minute a timer is parked in: its own, or "now" when it is already late, or the
 * horizon when it is further out than the stream keeps messages (it hops forward from
 * there when that minute is drained).
 */
export function parkingMinute(at: number, now: number, horizonMs: number): number {
  return minuteOf(Math.min(Math.max(at, now), now + horizonMs));
}

export function timerStreamConfig(horizonDays: number): Partial<StreamConfig> & { name: string } {
  return {
    name: TIMER_STREAM,
    subjects: ['timers.>'],
    storage: StorageType.File,
    retention: RetentionPolicy.Limits,
    discard: DiscardPolicy.Old,
    // Fired minutes are purged; max_age only bounds what a bug could leave behind.
    max_age: (horizonDays + 7) * DAY_MS * 1_000_000,
    allow_direct: true,
    duplicate_window: 2 * 60 * 1_000_000_000,
    num_replicas: natsReplicas(),
  };
}

export const ensureTimerStream = (jsm: JetStreamManager, horizonDays: number) => ensureStream(jsm, timerStreamConfig(horizonDays));

const enc = new TextEncoder();
const dec = new TextDecoder();

export function encodeTimer(t: Timer): Uint8Array {
  return enc.encode(JSON.stringify({ a: t.agent_id, t: t.task_id, v: t.version, at: t.at, ...(t.resume_client_id ? { r: t.resume_client_id } : {}) }));
}

export function decodeTimer(data: Uint8Array): Timer | null {
  try {
    const o = JSON.parse(dec.decode(data)) as { a?: unknown; t?: unknown; v?: unknown; at?: unknown; r?: unknown };
    if (typeof o.a !== 'string' || typeof o.t !== 'string' || typeof o.v !== 'number' || typeof o.at !== 'number') return null;
    return { agent_id: o.a, task_id: o.t, version: o.v, at: o.at, ...(typeof o.r === 'string' ? { resume_client_id: o.r } : {}) };
  } catch {
    return null;
  }
}

/**
 * Parks a timer in its minute (never before `notBefore`, when a hop must move it strictly
 * forward); the message id makes re-arming the same version idempotent.
 */
export async function publishTimer(js: JetStreamClient, timer: Timer, opts: { now: number; horizonMs: number; notBefore?: number }): Promise<number> {
  const minute = Math.max(opts.notBefore ?? 0, parkingMinute(timer.at, opts.now, opts.horizonMs));
  await js.publish(timerSubject(minute), encodeTimer(timer), { msgID: `timer:${timer.task_id}:${timer.version}:${minute}` });
  return minute;
}
