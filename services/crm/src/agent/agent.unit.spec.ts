import { deciderSpec } from '@realtoros/testing';
import { describe, it } from 'vitest';
import { agentDecider } from './agent.ts';

const spec = deciderSpec(agentDecider);
const registered = { type: 'AgentRegistered' as const, data: { email: 'a@example.com', name: 'Al', password_hash: 'scrypt$x' } };

describe('agent decider', () => {
  it('given nothing, when RegisterAgent, then AgentRegistered with a normalised email and trimmed name', () => {
    spec
      .given([])
      .when({ type: 'RegisterAgent', data: { email: ' A@Example.com', name: ' Al ', password_hash: 'scrypt$x' } })
      .then([registered]);
  });
  it('given AgentRegistered, when the same sign-up is repeated, then nothing', () => {
    spec
      .given([registered])
      .when({ type: 'RegisterAgent', data: { email: 'a@example.com', name: 'Al', password_hash: 'scrypt$y' } })
      .then([]);
  });
  it('given AgentRegistered, when another email registers under the same id, then conflict', () => {
    spec
      .given([registered])
      .when({ type: 'RegisterAgent', data: { email: 'b@example.com', name: 'B', password_hash: 'scrypt$y' } })
      .thenThrows('conflict');
  });
});
