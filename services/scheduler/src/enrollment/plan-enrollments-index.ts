import type { JetStreamManager } from '@nats-io/jetstream';
import type { KV } from '@nats-io/kv';
import { isWrongLastSequence } from '@realtoros/messaging';

export const PLAN_ENROLLMENTS_BUCKET = 'sched_plan_enrollments';

/**
 * Which clients are enrolled in a plan, from our own enrolment events: KV keys
 * `<agent>.<plan>.<client>`, value = the enrolment id. Written on ClientEnrolled before that
 * event is acked (so a plan edit or deletion that lists the plan afterwards finds it),
 * deleted on EnrollmentEnded — only while the key still names that enrolment (a later
 * enrolment of the same client in the same plan keeps its key, whatever order redeliveries
 * come in).
 *
 * Listing reads the keys as the bucket stream's subjects (`subjects_filter`, paged by the
 * client), like the client-tasks index. A deleted key leaves its tombstone's subject, so a
 * listing may name clients no longer enrolled: the commands sent to them (migrate, end) are
 * guarded by the enrolment itself and decide nothing.
 */
export function planEnrollmentsIndex(kv: KV, jsm: JetStreamManager, bucket = PLAN_ENROLLMENTS_BUCKET) {
  const stream = `KV_${bucket}`;
  const prefix = `$KV.${bucket}.`;
  const key = (agentId: string, planId: string, clientId: string) => `${agentId}.${planId}.${clientId}`;
  return {
    async add(agentId: string, planId: string, clientId: string, enrollmentId: string): Promise<void> {
      await kv.put(key(agentId, planId, clientId), enrollmentId);
    },
    async remove(agentId: string, planId: string, clientId: string, enrollmentId: string): Promise<void> {
      const k = key(agentId, planId, clientId);
      const entry = await kv.get(k);
      if (entry?.operation !== 'PUT' || entry.string() !== enrollmentId) return;
      try {
        await kv.delete(k, { previousSeq: entry.revision });
      } catch (err) {
        if (!isWrongLastSequence(err)) throw err; // rewritten meanwhile: by a later enrolment, which keeps it
      }
    },
    /** The clients listed under the plan (possibly some whose enrolment has ended since). */
    async clients(agentId: string, planId: string): Promise<string[]> {
      const info = await jsm.streams.info(stream, { subjects_filter: `${prefix}${agentId}.${planId}.*` });
      return Object.keys(info.state.subjects ?? {})
        .map((subject) => subject.slice(prefix.length).split('.')[2] ?? '')
        .filter(Boolean)
        .sort();
    },
  };
}
export type PlanEnrollmentsIndex = ReturnType<typeof planEnrollmentsIndex>;
