import type { EventData } from '@realtoros/contracts';
import { createCommandHandler, type Decider, type EventDraft, type EventStore } from '@realtoros/messaging';

/**
 * The email the ai-agent writes (`ai.<agent>.email.<email>`): written once — generated, or
 * failed with a reason — and never again, whatever redelivers or retries.
 */
export type GeneratedEmailEventType = 'EmailGenerated' | 'EmailGenerationFailed';
export type GeneratedEmailState = { status: 'absent' } | { status: 'generated' | 'failed' };
export type GeneratedEmailCommand =
  | { type: 'RecordGeneratedEmail'; data: EventData<'EmailGenerated'> }
  | { type: 'RecordGenerationFailure'; data: EventData<'EmailGenerationFailed'> };

export const generatedEmailDecider: Decider<GeneratedEmailCommand, GeneratedEmailState, GeneratedEmailEventType> = {
  initialState: { status: 'absent' },
  evolve(state, event) {
    if (state.status !== 'absent') return state; // the first outcome is the email's outcome
    return { status: event.type === 'EmailGenerated' ? 'generated' : 'failed' };
  },
  decide(command, state): EventDraft<GeneratedEmailEventType>[] {
    // Written already (a twin delivery, a retried command): nothing more, never a second email.
    if (state.status !== 'absent') return [];
    return command.type === 'RecordGeneratedEmail'
      ? [{ type: 'EmailGenerated', data: command.data }]
      : [{ type: 'EmailGenerationFailed', data: command.data }];
  },
};

/** The generated-email aggregate on the one command path (libs/messaging). */
export const createGeneratedEmails = (store: EventStore) =>
  createCommandHandler(store, generatedEmailDecider, { stream: 'AI', aggregate: 'email' });
