import type { ClientStage, Envelope, EventData } from '@realtoros/contracts';

/** The events on a client's subject (`crm.<agent>.client.<id>`). */
export type ClientEventType = 'ClientCreated' | 'ClientUpdated' | 'ClientStageChanged' | 'ClientDeleted' | 'ClientUnsubscribed';

export type ClientProfile = EventData<'ClientCreated'>;

/** The client aggregate's state, folded from its own events. */
export type ClientState =
  | { status: 'absent' }
  | {
      status: 'active' | 'deleted';
      id: string;
      agentId: string;
      profile: Omit<ClientProfile, 'stage'>;
      stage: ClientStage;
      unsubscribed: boolean;
      createdAt: string;
      updatedAt: string;
    };

export const initialClientState: ClientState = { status: 'absent' };

export function evolve(state: ClientState, event: Envelope<ClientEventType>): ClientState {
  switch (event.type) {
    case 'ClientCreated': {
      const { stage, ...profile } = event.data;
      return {
        status: 'active',
        id: event.aggregate_id,
        agentId: event.agent_id,
        profile,
        stage,
        unsubscribed: false,
        createdAt: event.occurred_at,
        updatedAt: event.occurred_at,
      };
    }
    case 'ClientUpdated':
      if (state.status === 'absent') return state;
      return { ...state, profile: { ...state.profile, ...event.data.changes }, updatedAt: event.occurred_at };
    case 'ClientStageChanged':
      // `changes`: the other fields of the same PATCH (absent in older, two-event histories).
      if (state.status === 'absent') return state;
      return { ...state, profile: { ...state.profile, ...event.data.changes }, stage: event.data.to, updatedAt: event.occurred_at };
    case 'ClientDeleted':
      if (state.status === 'absent') return state;
      return { ...state, status: 'deleted', updatedAt: event.occurred_at };
    case 'ClientUnsubscribed':
      if (state.status === 'absent') return state;
      return { ...state, unsubscribed: true, updatedAt: event.occurred_at };
    default:
      event satisfies never; // a new client event must be folded here (compile error otherwise)
      return state;
  }
}

/** The client as the API shows it. */
export function toClientView(state: ClientState) {
  if (state.status === 'absent') return null;
  return {
    id: state.id,
    agent_id: state.agentId,
    ...state.profile,
    stage: state.stage,
    unsubscribed: state.unsubscribed,
    created_at: state.createdAt,
    updated_at: state.updatedAt,
    last_contacted: null,
    is_deleted: state.status === 'deleted',
  };
}
