import type { Envelope } from '@realtoros/contracts';
import { newStepId } from '@realtoros/planning';
import { deciderSpec } from '@realtoros/testing';
import { describe, expect, it } from 'vitest';
import { DEFAULT_SCHEDULE, defaultPlanSteps } from '../planning/schedule.ts';
import { type PlanCommand, planDecider } from './decide.ts';
import type { PlanEventDraft, PlanEventType } from './plan.ts';

const AGENT = '0190a000-0000-7000-8000-000000000001';
const PLAN = '0190a000-0000-7000-8000-0000000000b1';
const OTHER = '0190a000-0000-7000-8000-0000000000b2';
const CMD = '0190a000-0000-7000-8000-0000000000d1';
const CMD2 = '0190a000-0000-7000-8000-0000000000d2';
const T0 = '2026-11-21T10:00:00.000Z';

const spec = deciderSpec(planDecider, { agentId: AGENT, aggregateId: PLAN, occurredAt: T0 });

const step = (over: Record<string, unknown> = {}) => ({
  id: 'intro',
  label: 'Day 1',
  offset_days: 1,
  time_of_day: null,
  priority: 'medium' as const,
  action: 'email' as const,
  instructions: null,
  template_id: null,
  ...over,
});
const created = (over: Partial<Extract<PlanEventDraft, { type: 'PlanCreated' }>['data']> = {}): PlanEventDraft => ({
  type: 'PlanCreated',
  data: { name: 'New lead', version: 1, steps: [step()], stop_stages: ['lost', 'closed'], stage_trigger: null, is_default: false, ...over },
});
/** A stored event with the command id that caused it (the decider's repeat check reads causation ids). */
const causedBy = (draft: PlanEventDraft, commandId: string, seq: number): Envelope<PlanEventType> =>
  ({
    id: `0190a000-0000-7000-8000-0000000e000${seq}`,
    type: draft.type,
    schema: 1,
    agent_id: AGENT,
    aggregate: 'plan',
    aggregate_id: PLAN,
    occurred_at: T0,
    correlation_id: 'spec',
    causation_id: commandId,
    data: draft.data,
  }) as Envelope<PlanEventType>;

const create = (
  body: Record<string, unknown>,
  others: { plan_id: string; name: string; stage_trigger: null | 'under_contract' }[] = [],
): PlanCommand => ({
  type: 'CreatePlan',
  data: { plan_id: PLAN, body: { name: 'New lead', steps: [{ label: 'Day 1', offset_days: 1 }], ...body } as never, others },
  command_id: CMD,
});
const change = (
  changes: Record<string, unknown>,
  others: { plan_id: string; name: string; stage_trigger: null | 'under_contract' }[] = [],
  commandId = CMD2,
): PlanCommand => ({
  type: 'ChangePlan',
  data: { changes: changes as never, others },
  command_id: commandId,
});

describe('plan decider', () => {
  describe('CreatePlan', () => {
    it('given nothing, then PlanCreated v1 with the step defaults and derived step ids; stop stages default to lost and closed', () => {
      spec
        .given([])
        .when(
          create({
            steps: [
              { label: 'Day 1', offset_days: 1 },
              { id: 'call', label: 'Call', offset_days: 3, action: 'task', time_of_day: '10:30' },
            ],
          }),
        )
        .then([
          {
            type: 'PlanCreated',
            data: {
              name: 'New lead',
              version: 1,
              steps: [
                step({ id: newStepId(PLAN, 1, 0) }),
                step({ id: 'call', label: 'Call', offset_days: 3, action: 'task', time_of_day: '10:30' }),
              ],
              stop_stages: ['lost', 'closed'],
              stage_trigger: null,
              is_default: false,
              on_reply: 'end',
            },
          },
        ]);
    });

    it('a step id listed twice → validation pointing at the second one', () => {
      const err = spec
        .given([])
        .when(
          create({
            steps: [
              { id: 'a', label: 'A', offset_days: 0 },
              { id: 'b', label: 'B', offset_days: 1 },
              { id: 'a', label: 'C', offset_days: 2 },
            ],
          }),
        )
        .thenThrows('validation');
      expect(err.errors).toEqual([{ pointer: '/steps/2/id', detail: expect.stringContaining('twice') }]);
    });

    it('no steps, a negative offset → validation with pointers (the command schema refuses them first; the decider holds the rule too)', () => {
      expect(
        spec
          .given([])
          .when(create({ steps: [] }))
          .thenThrows('validation').errors,
      ).toEqual([{ pointer: '/steps', detail: expect.any(String) }]);
      expect(
        spec
          .given([])
          .when(
            create({
              steps: [
                { label: 'A', offset_days: 1 },
                { label: 'B', offset_days: -1 },
              ],
            }),
          )
          .thenThrows('validation').errors,
      ).toEqual([{ pointer: '/steps/1/offset_days', detail: expect.any(String) }]);
    });

    it('a trigger that is also a stop stage → validation at /stage_trigger', () => {
      const err = spec
        .given([])
        .when(create({ stage_trigger: 'lost' }))
        .thenThrows('validation');
      expect(err.errors?.[0]?.pointer).toBe('/stage_trigger');
    });

    it('a trigger another live plan has → conflict naming that plan', () => {
      const err = spec
        .given([])
        .when(create({ stage_trigger: 'under_contract' }, [{ plan_id: OTHER, name: 'Closing checklist', stage_trigger: 'under_contract' }]))
        .thenThrows('conflict');
      expect(err.message).toContain('Closing checklist');
    });

    it('given the plan exists, when the same create again, then nothing (its id derives from the command)', () => {
      spec.given([created()]).when(create({})).then([]);
    });
  });

  describe('ChangePlan', () => {
    it('a new whole version: kept ids kept, fields left out taken from the previous version, new steps get ids of the new version', () => {
      const v1 = created({ steps: [step({ instructions: 'warm, short' })] });
      spec
        .given([v1])
        .when(
          change({
            steps: [
              { id: 'intro', label: 'Day 1', offset_days: 2 },
              { label: 'Week 1', offset_days: 7 },
            ],
            apply_to: 'current',
          }),
        )
        .then([
          {
            type: 'PlanChanged',
            data: {
              name: 'New lead',
              version: 2,
              steps: [
                step({ offset_days: 2, instructions: 'warm, short' }),
                step({ id: newStepId(PLAN, 2, 1), label: 'Week 1', offset_days: 7 }),
              ],
              stop_stages: ['lost', 'closed'],
              stage_trigger: null,
              is_default: false,
              on_reply: 'end',
              apply_to: 'current',
            },
          },
        ]);
    });

    it('apply_to defaults to new; only a name → the same steps under a new version', () => {
      const [d] = spec
        .given([created()])
        .when(change({ name: 'Warm leads' }))
        .decided();
      expect(d).toMatchObject({ type: 'PlanChanged', data: { name: 'Warm leads', version: 2, apply_to: 'new', steps: [step()] } });
    });

    it('nothing new for new enrolments → nothing; the same content applied to current enrolments is a version of its own', () => {
      spec
        .given([created()])
        .when(change({ name: 'New lead' }))
        .then([]);
      const [d] = spec
        .given([created()])
        .when(change({ apply_to: 'current' }))
        .decided();
      expect(d).toMatchObject({ type: 'PlanChanged', data: { version: 2, apply_to: 'current' } });
    });

    it('on_reply: a plan written before the option ends on a reply; changing only it is a new version; the same again is nothing', () => {
      const [d] = spec
        .given([created()])
        .when(change({ on_reply: 'pause' }))
        .decided();
      expect(d).toMatchObject({ type: 'PlanChanged', data: { version: 2, on_reply: 'pause', steps: [step()] } });
      spec
        .given([created({ on_reply: 'pause' })])
        .when(change({ on_reply: 'pause' }))
        .then([]);
      const [c] = spec
        .given([])
        .when(create({ on_reply: 'pause' }))
        .decided();
      expect(c).toMatchObject({ type: 'PlanCreated', data: { on_reply: 'pause' } });
    });

    it('a retried command (its id already wrote the plan) → nothing, however late', () => {
      const v2 = causedBy(
        { type: 'PlanChanged', data: { ...(created().data as object), version: 2, name: 'B', apply_to: 'new' } } as PlanEventDraft,
        CMD2,
        2,
      );
      spec
        .given([created(), v2])
        .when(change({ name: 'B', steps: [{ label: 'X', offset_days: 1 }] }))
        .then([]);
    });

    it('bad input → validation with pointers into the PATCH body; a trigger another plan has → conflict', () => {
      expect(
        spec
          .given([created()])
          .when(
            change({
              steps: [
                { id: 'x', label: 'A', offset_days: 1 },
                { id: 'x', label: 'B', offset_days: 1 },
              ],
            }),
          )
          .thenThrows('validation').errors?.[0]?.pointer,
      ).toBe('/steps/1/id');
      expect(
        spec
          .given([created({ stage_trigger: 'qualified' })])
          .when(change({ stop_stages: ['qualified'] }))
          .thenThrows('validation').errors?.[0]?.pointer,
      ).toBe('/stop_stages');
      spec
        .given([created()])
        .when(change({ stage_trigger: 'under_contract' }, [{ plan_id: OTHER, name: 'Closing', stage_trigger: 'under_contract' }]))
        .thenThrows('conflict');
      // Its own trigger is no conflict.
      const [d] = spec
        .given([created()])
        .when(change({ stage_trigger: 'under_contract' }, [{ plan_id: PLAN, name: 'New lead', stage_trigger: 'under_contract' }]))
        .decided();
      expect(d?.type).toBe('PlanChanged');
    });

    it('no plan, or a deleted one → not found', () => {
      spec
        .given([])
        .when(change({ name: 'x' }))
        .thenThrows('not_found');
      spec
        .given([created(), { type: 'PlanDeleted', data: { name: 'New lead', version: 1 } }])
        .when(change({ name: 'x' }))
        .thenThrows('not_found');
    });
  });

  describe('DeletePlan', () => {
    it('a live plan → PlanDeleted with its name and version; then further commands are not found; a retry of the delete → nothing', () => {
      spec
        .given([created()])
        .when({ type: 'DeletePlan', command_id: CMD2 })
        .then([{ type: 'PlanDeleted', data: { name: 'New lead', version: 1 } }]);
      const deleted = causedBy({ type: 'PlanDeleted', data: { name: 'New lead', version: 1 } }, CMD2, 2);
      spec.given([created(), deleted]).when({ type: 'DeletePlan', command_id: CMD2 }).then([]);
      spec.given([created(), deleted]).when({ type: 'DeletePlan', command_id: CMD }).thenThrows('not_found');
      spec.given([]).when({ type: 'DeletePlan', command_id: CMD }).thenThrows('not_found');
    });
  });

  describe('EnsureDefaultPlan', () => {
    const ensure: PlanCommand = { type: 'EnsureDefaultPlan', data: { steps: defaultPlanSteps(DEFAULT_SCHEDULE) } };
    it('given nothing → the "Standard follow-up" plan, default, with the five classic steps', () => {
      const [d] = spec.given([]).when(ensure).decided();
      expect(d).toEqual({
        type: 'PlanCreated',
        data: {
          name: 'Standard follow-up',
          version: 1,
          steps: defaultPlanSteps(DEFAULT_SCHEDULE),
          stop_stages: ['lost', 'closed'],
          stage_trigger: null,
          is_default: true,
          on_reply: 'end',
        },
      });
    });
    it('given it exists, or was deleted → nothing (never re-created)', () => {
      spec
        .given([created({ is_default: true })])
        .when(ensure)
        .then([]);
      spec
        .given([created({ is_default: true }), { type: 'PlanDeleted', data: { name: 'Standard follow-up', version: 1 } }])
        .when(ensure)
        .then([]);
    });
  });

  it('evolve keeps every version whole, with how it was applied', () => {
    const state = spec
      .given([
        created(),
        { type: 'PlanChanged', data: { ...(created().data as object), version: 2, name: 'B', apply_to: 'current' } } as PlanEventDraft,
      ])
      .state();
    expect(state).toMatchObject({ status: 'live', name: 'B', version: 2 });
    if (state.status === 'absent') throw new Error('absent');
    expect(state.versions.map((v) => [v.version, v.name, v.apply_to])).toEqual([
      [1, 'New lead', 'new'],
      [2, 'B', 'current'],
    ]);
  });
});
