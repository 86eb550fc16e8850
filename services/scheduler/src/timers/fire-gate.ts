import type { Kvm } from '@nats-io/kv';
import { type Envelope, subjects } from '@realtoros/contracts';
import type { EventStore } from '@realtoros/messaging';
import { type AgentSettingsReader, createAgentSettingsReader } from '../settings/agent-settings.ts';
import { createDailySends, type DailySends, openDailySendsBucket } from './daily-sends.ts';

/** What the ticker reads and reserves before a planned step may go (see fire-decision.ts). */
export type FireGate = {
  settings: AgentSettingsReader;
  sends: DailySends;
  /** Whether this enrolment of this client is paused right now (its subject's events). */
  enrollmentPaused(agentId: string, clientId: string, enrollmentId: string): Promise<boolean>;
};

/**
 * The ticker's gate, with the daily-sends bucket opened (created on first start). Pass the
 * scheduler's shared settings reader when there is one, so planning and firing share its cache.
 */
export async function createFireGate(opts: { store: EventStore; kvm: Kvm; settings?: AgentSettingsReader }): Promise<FireGate> {
  const kv = await openDailySendsBucket(opts.kvm);
  return {
    settings: opts.settings ?? createAgentSettingsReader(opts.store),
    sends: createDailySends(kv),
    enrollmentPaused: (agentId, clientId, enrollmentId) => enrollmentPaused(opts.store, agentId, clientId, enrollmentId),
  };
}

/**
 * An enrolment's pause, from the client's enrolment subject (`sched.<agent>.enrollment.<client>`,
 * its enrolments one after another). One direct get in the common case: the last event is
 * about another (later) enrolment, or is this one's ClientEnrolled / resume / end → not paused;
 * it is this one's EnrollmentPaused → paused. Only when it is a migration (a plan edit moved
 * the enrolment, paused or not) is the subject folded.
 */
export async function enrollmentPaused(
  store: Pick<EventStore, 'readLast' | 'readSubject'>,
  agentId: string,
  clientId: string,
  enrollmentId: string,
): Promise<boolean> {
  const subject = subjects.enrollment(agentId, clientId);
  const last = await store.readLast('SCHEDULER', subject);
  if (!last || enrollmentOf(last.event) !== enrollmentId) return false;
  if (last.event.type !== 'EnrollmentMigrated') return last.event.type === 'EnrollmentPaused';
  const { events } = await store.readSubject('SCHEDULER', subject);
  let paused = false;
  for (const { event } of events) {
    if (enrollmentOf(event) !== enrollmentId) continue;
    if (event.type === 'EnrollmentPaused') paused = true;
    else if (event.type === 'EnrollmentResumed' || event.type === 'EnrollmentEnded' || event.type === 'ClientEnrolled') paused = false;
  }
  return paused;
}

function enrollmentOf(e: Envelope): string | null {
  const data = e.data as { enrollment_id?: unknown };
  return typeof data.enrollment_id === 'string' ? data.enrollment_id : null;
}
