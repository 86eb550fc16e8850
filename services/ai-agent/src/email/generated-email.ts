import type { EventData } from '@realtoros/contracts';
import { createCommandHandler, type Decider, DomainError, type EventDraft, type EventStore } from '@realtoros/messaging';

/**
 * The email the ai-agent writes (`ai.<agent>.email.<email>`): written once — generated, or
 * failed with a reason — and never again, whatever redelivers or retries. An email in review
 * first waits as a draft (EmailAwaitingApproval, revised by regenerations) until the agent
 * approves it (EmailApproved + the EmailGenerated the mailer sends, in one decision) or
 * rejects it (EmailRejected).
 */
export type GeneratedEmailEventType = 'EmailGenerated' | 'EmailGenerationFailed' | 'EmailAwaitingApproval' | 'EmailApproved' | 'EmailRejected';
export type Draft = EventData<'EmailAwaitingApproval'> & { drafted_at: string };
export type GeneratedEmailState =
  | { status: 'absent' }
  | { status: 'awaiting'; draft: Draft }
  | { status: 'generated' | 'failed' }
  | { status: 'rejected'; reason: string };

export type ApproveData = { by: string; at: string; subject?: string | undefined; body?: string | undefined };
export type GeneratedEmailCommand =
  | { type: 'RecordGeneratedEmail'; data: EventData<'EmailGenerated'> }
  | { type: 'RecordGenerationFailure'; data: EventData<'EmailGenerationFailed'> }
  /** A first draft (revision 1, only while nothing is written) or a regenerated one (the next revision, only while waiting). */
  | { type: 'RecordDraft'; data: EventData<'EmailAwaitingApproval'> }
  | { type: 'ApproveDraft'; data: ApproveData }
  | { type: 'RejectDraft'; data: { by: string; at: string; reason: string } };

const notWaiting = (state: GeneratedEmailState): never => {
  const what =
    state.status === 'absent'
      ? 'there is no draft to review'
      : state.status === 'awaiting'
        ? 'the draft is waiting'
        : state.status === 'rejected'
          ? 'this draft was rejected'
          : state.status === 'generated'
            ? 'this email was already approved or sent'
            : 'writing this email failed';
  throw new DomainError(state.status === 'absent' ? 'not_found' : 'conflict', what);
};

export const generatedEmailDecider: Decider<GeneratedEmailCommand, GeneratedEmailState, GeneratedEmailEventType> = {
  initialState: { status: 'absent' },
  evolve(state, event) {
    switch (event.type) {
      case 'EmailAwaitingApproval':
        return state.status === 'absent' || state.status === 'awaiting' ? { status: 'awaiting', draft: { ...event.data, drafted_at: event.occurred_at } } : state;
      case 'EmailApproved':
        return state; // the EmailGenerated that follows settles it
      case 'EmailRejected':
        return state.status === 'awaiting' ? { status: 'rejected', reason: event.data.reason } : state;
      case 'EmailGenerated':
        return state.status === 'absent' || state.status === 'awaiting' ? { status: 'generated' } : state;
      case 'EmailGenerationFailed':
        return state.status === 'absent' ? { status: 'failed' } : state;
      default:
        return state;
    }
  },
  decide(command, state): EventDraft<GeneratedEmailEventType>[] {
    switch (command.type) {
      // Written already (a twin delivery, a retried command): nothing more, never a second email.
      case 'RecordGeneratedEmail':
        return state.status === 'absent' ? [{ type: 'EmailGenerated', data: command.data }] : [];
      case 'RecordGenerationFailure':
        return state.status === 'absent' ? [{ type: 'EmailGenerationFailed', data: command.data }] : [];
      case 'RecordDraft': {
        const d = command.data;
        if (state.status === 'absent') return d.revision === 1 ? [{ type: 'EmailAwaitingApproval', data: d }] : [];
        if (state.status !== 'awaiting') return notWaiting(state);
        // A regeneration decided on an older revision lost a race: the newer draft stands.
        return d.revision === state.draft.revision + 1 ? [{ type: 'EmailAwaitingApproval', data: d }] : [];
      }
      case 'ApproveDraft': {
        if (state.status !== 'awaiting') return notWaiting(state);
        const draft = state.draft;
        const d = command.data;
        const subject = d.subject?.trim() || draft.subject;
        const body = d.body?.trim() ? d.body : draft.body;
        const edited = subject !== draft.subject || body !== draft.body;
        const { review_reason: _r, revision, agent_instructions: _i, drafted_at: _at, facts, ...email } = draft;
        return [
          { type: 'EmailApproved', data: { task_id: draft.task_id, client_id: draft.client_id, by: d.by, approved_at: d.at, revision, edited } },
          {
            type: 'EmailGenerated',
            data: {
              ...email,
              subject,
              body,
              facts,
              ai_draft: edited ? { subject: draft.subject, body: draft.body } : null,
              approval: { by: d.by, approved_at: d.at, edited },
            },
          },
        ];
      }
      case 'RejectDraft': {
        if (state.status !== 'awaiting') return notWaiting(state);
        const d = command.data;
        return [
          {
            type: 'EmailRejected',
            data: { task_id: state.draft.task_id, client_id: state.draft.client_id, by: d.by, rejected_at: d.at, reason: d.reason },
          },
        ];
      }
      default: {
        const unhandled: never = command;
        throw new Error(`unhandled command ${JSON.stringify(unhandled)}`);
      }
    }
  },
};

/** The generated-email aggregate on the one command path (libs/messaging). */
export const createGeneratedEmails = (store: EventStore) =>
  createCommandHandler(store, generatedEmailDecider, { stream: 'AI', aggregate: 'email' });
