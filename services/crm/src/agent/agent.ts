import type { Envelope } from '@realtoros/contracts';
import { type Decider, DomainError, type EventDraft } from '@realtoros/messaging';

/** An agent account (`crm.<agent>.agent`): registered once, by the sign-up that chose its id. */
export type AgentState = { status: 'absent' } | { status: 'registered'; id: string; email: string; name: string; createdAt: string };
export type AgentCommand = { type: 'RegisterAgent'; data: { email: string; name: string; password_hash: string } };

export const agentDecider: Decider<AgentCommand, AgentState, 'AgentRegistered'> = {
  initialState: { status: 'absent' },
  evolve(state, event: Envelope<'AgentRegistered'>) {
    if (state.status !== 'absent') return state;
    return { status: 'registered', id: event.aggregate_id, email: event.data.email, name: event.data.name, createdAt: event.occurred_at };
  },
  decide(command, state): EventDraft<'AgentRegistered'>[] {
    const email = command.data.email.trim().toLowerCase();
    // Agent ids are fresh per sign-up, so the same id with the same email is that sign-up repeated.
    if (state.status === 'registered') {
      if (state.email === email) return [];
      throw new DomainError('conflict', 'An account with this id already exists.');
    }
    return [{ type: 'AgentRegistered', data: { email, name: command.data.name.trim(), password_hash: command.data.password_hash } }];
  },
};
