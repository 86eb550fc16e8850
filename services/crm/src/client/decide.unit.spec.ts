import { deciderSpec } from '@realtoros/testing';
import { describe, expect, it } from 'vitest';
import type { ClientDecision } from './decide.ts';
import { clientDecider } from './decide.ts';

const CLIENT = '0190a000-0000-7000-8000-0000000000c1';
const spec = deciderSpec(clientDecider, { aggregateId: CLIENT });

const profile = {
  name: 'Ann Lee',
  email: 'ann@example.com',
  phone: null,
  property_address: '12 Oak St',
  property_type: 'residential' as const,
  notes: null,
  custom_fields: {},
};
const created: ClientDecision = { type: 'ClientCreated', data: { ...profile, stage: 'lead' } };
const deleted: ClientDecision = { type: 'ClientDeleted', data: { email: 'ann@example.com' } };
const update = (changes: Record<string, unknown>) => ({ type: 'UpdateClient' as const, data: { client_id: CLIENT, changes } });

describe('client decider', () => {
  it('given nothing, when CreateClient, then ClientCreated with a normalised email and default stage', () => {
    spec
      .given([])
      .when({ type: 'CreateClient', data: { name: ' Ann Lee ', email: 'Ann@Example.com' } })
      .then([
        {
          type: 'ClientCreated',
          data: {
            name: 'Ann Lee',
            email: 'ann@example.com',
            phone: null,
            property_address: null,
            property_type: null,
            notes: null,
            custom_fields: {},
            stage: 'lead',
          },
        },
      ]);
  });

  it('given ClientCreated, when CreateClient again, then conflict', () => {
    spec
      .given([created])
      .when({ type: 'CreateClient', data: { name: 'x', email: 'x@y.z' } })
      .thenThrows('conflict');
  });

  it('given ClientCreated, when UpdateClient with a new phone and stage, then ONE ClientStageChanged carrying the phone (one command, one event)', () => {
    spec
      .given([created])
      .when(update({ phone: '555-0101', name: 'Ann Lee', stage: 'qualified' }))
      .then([{ type: 'ClientStageChanged', data: { from: 'lead', to: 'qualified', changes: { phone: '555-0101' } } }]);
  });

  it('given ClientCreated, when UpdateClient with only a new stage, then ClientStageChanged without changes', () => {
    spec
      .given([created])
      .when(update({ stage: 'contacted', notes: null }))
      .then([{ type: 'ClientStageChanged', data: { from: 'lead', to: 'contacted' } }]);
  });

  it('given ClientCreated, when UpdateClient with fields but the same stage, then ClientUpdated with only the change', () => {
    spec
      .given([created])
      .when(update({ phone: '555-0101', stage: 'lead', email: ' ANN@example.com ' }))
      .then([{ type: 'ClientUpdated', data: { changes: { phone: '555-0101' } } }]);
  });

  it('given ClientCreated, when UpdateClient with nothing new, then no events', () => {
    spec
      .given([created])
      .when(update({ name: 'Ann Lee', stage: 'lead' }))
      .then([]);
  });

  it('folds ClientStageChanged.changes, and old two-event histories the same way', () => {
    const oneEvent = spec
      .given([created, { type: 'ClientStageChanged', data: { from: 'lead', to: 'qualified', changes: { phone: '555-0101' } } }])
      .state();
    const twoEvents = spec
      .given([
        created,
        { type: 'ClientUpdated', data: { changes: { phone: '555-0101' } } },
        { type: 'ClientStageChanged', data: { from: 'lead', to: 'qualified' } },
      ])
      .state();
    expect(oneEvent).toEqual(twoEvents);
    expect(oneEvent).toMatchObject({ stage: 'qualified', profile: { phone: '555-0101' } });
    // Decided on the folded state: the same PATCH again changes nothing.
    spec
      .given([created, { type: 'ClientStageChanged', data: { from: 'lead', to: 'qualified', changes: { phone: '555-0101' } } }])
      .when(update({ phone: '555-0101', stage: 'qualified' }))
      .then([]);
  });

  it('given ClientCreated, ClientDeleted, when UpdateClient or DeleteClient, then not found', () => {
    spec
      .given([created, deleted])
      .when(update({ phone: '1' }))
      .thenThrows('not_found');
    spec.given([created, deleted]).when({ type: 'DeleteClient' }).thenThrows('not_found');
  });

  it('given nothing, when DeleteClient, then not found', () => {
    spec.given([]).when({ type: 'DeleteClient' }).thenThrows('not_found');
  });

  it('given ClientCreated, when DeleteClient, then ClientDeleted carrying the email to release', () => {
    spec.given([created]).when({ type: 'DeleteClient' }).then([deleted]);
  });

  it('given ClientUnsubscribed, when UnsubscribeClient again, then nothing (one-click links get clicked twice)', () => {
    const at = '2026-11-21T11:00:00.000Z';
    spec
      .given([created])
      .when({ type: 'UnsubscribeClient', source: 'link', at })
      .then([{ type: 'ClientUnsubscribed', data: { source: 'link', at } }]);
    spec
      .given([created, { type: 'ClientUnsubscribed', data: { source: 'link', at } }])
      .when({ type: 'UnsubscribeClient', source: 'link', at })
      .then([]);
  });
});
