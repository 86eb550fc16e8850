import { describe, expect, it } from 'vitest';
import { automationStop, clientStanding, foldClientFacts, stageStopReason } from './client-facts.ts';
import type { Envelope } from './envelope.ts';

const AGENT = '0190a000-0000-7000-8000-000000000001';
const CLIENT = '0190a000-0000-7000-8000-0000000000c1';
let n = 0;
const ev = (type: string, data: unknown, at = '2026-11-21T10:00:00.000Z'): Envelope =>
  ({
    id: `0190a000-0000-7000-8000-${String(++n).padStart(12, '0')}`,
    type,
    schema: 1,
    agent_id: AGENT,
    aggregate: 'client',
    aggregate_id: CLIENT,
    occurred_at: at,
    correlation_id: 'c',
    causation_id: null,
    data,
  }) as Envelope;
const created = ev('ClientCreated', {
  name: 'Ann',
  email: 'ann@example.com',
  phone: null,
  property_address: null,
  property_type: null,
  notes: null,
  custom_fields: {},
  stage: 'lead',
});

describe('foldClientFacts: the one fold of a client from CRM events', () => {
  it('nothing → absent; ClientCreated → active with its profile and stage', () => {
    expect(foldClientFacts([])).toEqual({ status: 'absent' });
    expect(clientStanding(foldClientFacts([]))).toBe('absent');
    expect(foldClientFacts([created])).toMatchObject({
      status: 'active',
      id: CLIENT,
      agentId: AGENT,
      stage: 'lead',
      unsubscribed: false,
      profile: { email: 'ann@example.com' },
    });
  });

  it('a stage change carrying other changes folds like the old ClientUpdated + ClientStageChanged pair', () => {
    const at = '2026-11-21T11:00:00.000Z';
    const one = foldClientFacts([
      created,
      ev('ClientStageChanged', { from: 'lead', to: 'qualified', changes: { email: 'ann@new.example' } }, at),
    ]);
    const two = foldClientFacts([
      created,
      ev('ClientUpdated', { changes: { email: 'ann@new.example' } }, at),
      ev('ClientStageChanged', { from: 'lead', to: 'qualified' }, at),
    ]);
    expect(one).toEqual(two);
    expect(one).toMatchObject({ stage: 'qualified', profile: { email: 'ann@new.example' }, updatedAt: at });
  });

  it('standing: unsubscribed, deleted (deleted wins), and events of other aggregates change nothing', () => {
    const unsub = ev('ClientUnsubscribed', { source: 'link', at: '2026-11-21T12:00:00.000Z' });
    expect(clientStanding(foldClientFacts([created, unsub]))).toBe('unsubscribed');
    expect(clientStanding(foldClientFacts([created, unsub, ev('ClientDeleted', { email: 'ann@example.com' })]))).toBe('deleted');
    const other = ev('TaskSkipped', { client_id: CLIENT });
    expect(foldClientFacts([created, other])).toEqual(foldClientFacts([created]));
    expect(foldClientFacts([created, created])).toEqual(foldClientFacts([created]));
  });

  it('stop rule: lost and closed stop automation by the current stage; moving back lifts it; a deleted client is standing, not stage', () => {
    const to = (from: string, stage: string) => ev('ClientStageChanged', { from, to: stage });
    expect(automationStop(foldClientFacts([created]))).toBeNull();
    expect(automationStop(foldClientFacts([created, to('lead', 'lost')]))).toBe('stage_lost');
    expect(automationStop(foldClientFacts([created, to('lead', 'closed')]))).toBe('stage_closed');
    expect(automationStop(foldClientFacts([created, to('lead', 'lost'), to('lost', 'qualified')]))).toBeNull();
    expect(automationStop(foldClientFacts([{ ...created, data: { ...(created.data as object), stage: 'closed' } } as Envelope]))).toBe(
      'stage_closed',
    );
    expect(automationStop(foldClientFacts([created, to('lead', 'lost'), ev('ClientDeleted', { email: 'ann@example.com' })]))).toBeNull();
    expect(automationStop(foldClientFacts([]))).toBeNull();
    expect(['lead', 'contacted', 'qualified', 'negotiating', 'under_contract'].map((s) => stageStopReason(s as 'lead'))).toEqual([
      null,
      null,
      null,
      null,
      null,
    ]);
  });
});
