import { deterministicId } from '@realtoros/contracts';
import { type CommandHandler, createCommandHandler, type EventStore, type HandleResult } from '@realtoros/messaging';
import { type EnrollmentCommand, enrollmentDecider } from './decide.ts';
import type { EnrollmentEventType, EnrollmentState } from './enrollment.ts';

export type EnrollmentStore = CommandHandler<EnrollmentCommand, EnrollmentState, EnrollmentEventType>;
export type EnrollmentHandleResult = HandleResult<EnrollmentState>;

/**
 * Enrolments on the one command path (stream SCHEDULER, aggregate `enrollment`, aggregate id
 * = the client id). Event ids are (type, enrolment, cause) rather than (type, client, cause):
 * one cause may end one enrolment and start another on the same subject, and two enrolments
 * of one client never share an event id.
 */
export function createEnrollmentStore(store: EventStore): EnrollmentStore {
  const inner = createCommandHandler(store, enrollmentDecider, { stream: 'SCHEDULER', aggregate: 'enrollment' });
  return {
    load: inner.load,
    handle: (ref, command, opts) =>
      inner.handle(ref, command, {
        ...opts,
        eventId: (d) => opts.eventId?.(d) ?? deterministicId(d.type, d.data.enrollment_id, opts.causationId),
      }),
  };
}
