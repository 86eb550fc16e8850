import { deciderSpec } from '@realtoros/testing';
import { describe, expect, it } from 'vitest';
import { toClientView } from './client.ts';
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
            time_zone: null,
            stage: 'lead',
          },
        },
      ]);
  });

  it('given nothing, when CreateClient with a plan pick and a zone, then ClientCreated carries them: absent stays absent, null stays null', () => {
    const base = { name: 'Ann Lee', email: 'ann@example.com' };
    const data = (d: Record<string, unknown>) =>
      spec
        .given([])
        .when({ type: 'CreateClient', data: { ...base, ...d } })
        .decided()[0]?.data;
    const PLAN = '0190a000-0000-7000-8000-0000000000f1';
    expect(data({})).not.toHaveProperty('plan_id');
    expect(data({ plan_id: null })).toMatchObject({ plan_id: null, time_zone: null });
    expect(data({ plan_id: PLAN, time_zone: 'America/Chicago' })).toMatchObject({ plan_id: PLAN, time_zone: 'America/Chicago' });
  });

  it('the client view shows time_zone (null when never set) and not the creation plan pick', () => {
    const view = toClientView(
      spec.given([{ type: 'ClientCreated', data: { ...profile, stage: 'lead', plan_id: '0190a000-0000-7000-8000-0000000000f1' } }]).state(),
    );
    expect(view).toMatchObject({ time_zone: null, stage: 'lead' });
    expect(view).not.toHaveProperty('plan_id');
  });

  it('time_zone: a PATCH sets it (ClientUpdated or within ClientStageChanged), the fold keeps it, null on a client without one changes nothing', () => {
    spec
      .given([created])
      .when(update({ time_zone: null }))
      .then([]);
    spec
      .given([created])
      .when(update({ time_zone: 'America/Chicago' }))
      .then([{ type: 'ClientUpdated', data: { changes: { time_zone: 'America/Chicago' } } }]);
    spec
      .given([created])
      .when(update({ time_zone: 'Europe/Paris', stage: 'contacted' }))
      .then([{ type: 'ClientStageChanged', data: { from: 'lead', to: 'contacted', changes: { time_zone: 'Europe/Paris' } } }]);
    const zoned = [created, { type: 'ClientUpdated' as const, data: { changes: { time_zone: 'America/Chicago' } } }];
    expect(spec.given(zoned).state()).toMatchObject({ profile: { time_zone: 'America/Chicago' } });
    expect(
      spec.given([...zoned, { type: 'ClientStageChanged', data: { from: 'lead', to: 'qualified', changes: { phone: '1' } } }]).state(),
    ).toMatchObject({ profile: { time_zone: 'America/Chicago', phone: '1' }, stage: 'qualified' });
    spec
      .given(zoned)
      .when(update({ time_zone: null }))
      .then([{ type: 'ClientUpdated', data: { changes: { time_zone: null } } }]);
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
  describe('tags (issue 10)', () => {
    it('given nothing, when CreateClient with tags, then ClientCreated carries them trimmed, case kept; none → no tags field', () => {
      const data = (tags?: string[]) =>
        spec
          .given([])
          .when({ type: 'CreateClient', data: { name: 'Ann Lee', email: 'ann@example.com', ...(tags ? { tags } : {}) } })
          .decided()[0]?.data;
      expect(data([' VIP ', 'Buyer 2027'])).toMatchObject({ tags: ['VIP', 'Buyer 2027'] });
      expect(data()).not.toHaveProperty('tags');
      expect(data([])).not.toHaveProperty('tags');
    });

    it('given nothing, when CreateClient with tags that differ only in case, then a validation error pointing at the repeat', () => {
      const err = spec
        .given([])
        .when({ type: 'CreateClient', data: { name: 'Ann Lee', email: 'ann@example.com', tags: ['VIP', 'buyer', ' vip'] } })
        .thenThrows('validation');
      expect(err.errors).toEqual([{ pointer: '/tags/2', detail: 'repeats the tag "VIP" (tags compare case-insensitively)' }]);
    });

    it('given ClientCreated (no tags), when UpdateClient tags, then ClientUpdated replaces the list; the same list again changes nothing', () => {
      spec
        .given([created])
        .when(update({ tags: ['Hot lead', 'VIP'] }))
        .then([{ type: 'ClientUpdated', data: { changes: { tags: ['Hot lead', 'VIP'] } } }]);
      const tagged: ClientDecision = { type: 'ClientUpdated', data: { changes: { tags: ['Hot lead', 'VIP'] } } };
      spec
        .given([created, tagged])
        .when(update({ tags: ['Hot lead ', 'VIP'] }))
        .then([]);
      // An old client without tags: clearing them is no change.
      spec
        .given([created])
        .when(update({ tags: [] }))
        .then([]);
      spec
        .given([created, tagged])
        .when(update({ tags: [] }))
        .then([{ type: 'ClientUpdated', data: { changes: { tags: [] } } }]);
    });

    it('given ClientCreated, when UpdateClient with a stage and tags, then one ClientStageChanged carrying the tags', () => {
      spec
        .given([created])
        .when(update({ stage: 'qualified', tags: ['VIP'] }))
        .then([{ type: 'ClientStageChanged', data: { from: 'lead', to: 'qualified', changes: { tags: ['VIP'] } } }]);
    });

    it('the client view shows tags, [] for a client created before tags existed', () => {
      const view = (events: ClientDecision[]) => toClientView(spec.given(events).state());
      expect(view([created])?.tags).toEqual([]);
      expect(view([created, { type: 'ClientUpdated', data: { changes: { tags: ['VIP'] } } }])?.tags).toEqual(['VIP']);
    });
  });
});
