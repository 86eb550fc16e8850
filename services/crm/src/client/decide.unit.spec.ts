import type { Envelope } from '@realtoros/contracts';
import { DomainError } from '@realtoros/messaging';
import { describe, expect, it } from 'vitest';
import { evolve, initialClientState, type ClientState } from './client.ts';
import { decide, type ClientCommand } from './decide.ts';

const AGENT = '0190a000-0000-7000-8000-000000000001';
const CLIENT = '0190a000-0000-7000-8000-0000000000c1';
let seq = 0;
const ev = (type: string, data: unknown): Envelope =>
  ({ id: `0190a000-0000-7000-8000-${String(++seq).padStart(12, '0')}`, type, schema: 1, agent_id: AGENT, aggregate: 'client', aggregate_id: CLIENT, occurred_at: '2026-11-21T10:00:00.000Z', correlation_id: 'c', causation_id: null, data }) as Envelope;

const created = ev('ClientCreated', { name: 'Ann Lee', email: 'ann@example.com', phone: null, property_address: '12 Oak St', property_type: 'residential', notes: null, custom_fields: {}, stage: 'lead' });
const given = (...events: Envelope[]): ClientState => events.reduce(evolve, initialClientState);
const then = (state: ClientState, command: ClientCommand) => decide(state, command).map((d) => [d.type, d.data]);
const thenError = (state: ClientState, command: ClientCommand) => {
  try {
    decide(state, command);
  } catch (err) {
    return err instanceof DomainError ? err.code : String(err);
  }
  return 'no error';
};

describe('client decider', () => {
  it('given nothing, when CreateClient, then ClientCreated with a normalised email and default stage', () => {
    expect(then(given(), { type: 'CreateClient', data: { name: ' Ann Lee ', email: 'Ann@Example.com' } })).toEqual([
      ['ClientCreated', { name: 'Ann Lee', email: 'ann@example.com', phone: null, property_address: null, property_type: null, notes: null, custom_fields: {}, stage: 'lead' }],
    ]);
  });

  it('given ClientCreated, when CreateClient again, then conflict', () => {
    expect(thenError(given(created), { type: 'CreateClient', data: { name: 'x', email: 'x@y.z' } })).toBe('conflict');
  });

  it('given ClientCreated, when UpdateClient with a new phone and stage, then ClientUpdated with only the change and ClientStageChanged', () => {
    expect(then(given(created), { type: 'UpdateClient', data: { client_id: CLIENT, changes: { phone: '555-0101', name: 'Ann Lee', stage: 'qualified' } } })).toEqual([
      ['ClientUpdated', { changes: { phone: '555-0101' } }],
      ['ClientStageChanged', { from: 'lead', to: 'qualified' }],
    ]);
  });

  it('given ClientCreated, when UpdateClient with nothing new, then no events', () => {
    expect(then(given(created), { type: 'UpdateClient', data: { client_id: CLIENT, changes: { name: 'Ann Lee', stage: 'lead' } } })).toEqual([]);
  });

  it('given ClientCreated, ClientDeleted, when UpdateClient or DeleteClient, then not found', () => {
    const deleted = given(created, ev('ClientDeleted', { email: 'ann@example.com' }));
    expect(thenError(deleted, { type: 'UpdateClient', data: { client_id: CLIENT, changes: { phone: '1' } } })).toBe('not_found');
    expect(thenError(deleted, { type: 'DeleteClient' })).toBe('not_found');
  });

  it('given nothing, when DeleteClient, then not found', () => {
    expect(thenError(given(), { type: 'DeleteClient' })).toBe('not_found');
  });

  it('given ClientCreated, when DeleteClient, then ClientDeleted carrying the email to release', () => {
    expect(then(given(created), { type: 'DeleteClient' })).toEqual([['ClientDeleted', { email: 'ann@example.com' }]]);
  });

  it('given ClientUnsubscribed, when UnsubscribeClient again, then nothing (one-click links get clicked twice)', () => {
    const at = '2026-11-21T11:00:00.000Z';
    expect(then(given(created), { type: 'UnsubscribeClient', source: 'link', at })).toEqual([['ClientUnsubscribed', { source: 'link', at }]]);
    expect(then(given(created, ev('ClientUnsubscribed', { source: 'link', at })), { type: 'UnsubscribeClient', source: 'link', at })).toEqual([]);
  });
});
