import { type ClientFacts, type Envelope, type EventData, evolveClientFacts, initialClientFacts } from '@realtoros/contracts';

/** The events on a client's subject (`crm.<agent>.client.<id>`). */
export type ClientEventType = 'ClientCreated' | 'ClientUpdated' | 'ClientStageChanged' | 'ClientDeleted' | 'ClientUnsubscribed' | 'ActivityLogged';

export type ClientProfile = EventData<'ClientCreated'>;

/**
 * The client aggregate's state is exactly the client facts every service folds from the
 * CRM's events (libs/contracts client-facts.ts): one fold, so the CRM's own rules and the
 * others' view of a client (status, unsubscribed, email, stage) can never disagree.
 */
export type ClientState = ClientFacts;
export const initialClientState: ClientState = initialClientFacts;
export const evolve = (state: ClientState, event: Envelope<ClientEventType>): ClientState => evolveClientFacts(state, event);

/** The client as the API shows it. */
export function toClientView(state: ClientState) {
  if (state.status === 'absent') return null;
  // plan_id is the creation's pick (the scheduler's business), not a profile field.
  const { plan_id: _, ...profile } = state.profile;
  return {
    id: state.id,
    agent_id: state.agentId,
    ...profile,
    time_zone: profile.time_zone ?? null,
    tags: profile.tags ?? [],
    stage: state.stage,
    unsubscribed: state.unsubscribed,
    created_at: state.createdAt,
    updated_at: state.updatedAt,
    last_contacted: null,
    is_deleted: state.status === 'deleted',
  };
}
