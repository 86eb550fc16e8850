import * as contracts from '@realtoros/contracts';
import { describe, expect, it } from 'vitest';
import { EVENT_TYPES } from './events.ts';
import * as vocab from './vocab.ts';

describe('the browser vocabularies mirror the contracts', () => {
  it.each([
    ['CLIENT_STAGES', vocab.CLIENT_STAGES, contracts.CLIENT_STAGES],
    ['PROPERTY_TYPES', vocab.PROPERTY_TYPES, contracts.PROPERTY_TYPES],
    ['FOLLOWUP_TYPES', vocab.FOLLOWUP_TYPES, contracts.FOLLOWUP_TYPES],
    ['TASK_STATUSES', vocab.TASK_STATUSES, contracts.TASK_STATUSES],
    ['PRIORITIES', vocab.PRIORITIES, contracts.PRIORITIES],
    ['EMAIL_STATUSES', vocab.EMAIL_STATUSES, contracts.EMAIL_STATUSES],
    ['CLIENT_SORTS', vocab.CLIENT_SORTS, contracts.CLIENT_SORTS],
    ['PLAN_ACTIONS', vocab.PLAN_ACTIONS, contracts.PLAN_ACTIONS],
    ['ENROLLMENT_STATUSES', vocab.ENROLLMENT_STATUSES, contracts.ENROLLMENT_STATUSES],
    ['ENROLLMENT_END_REASONS', vocab.ENROLLMENT_END_REASONS, contracts.ENROLLMENT_END_REASONS],
    ['TASK_HOLD_REASONS', vocab.TASK_HOLD_REASONS, contracts.TASK_HOLD_REASONS],
  ] as const)('%s', (_name, web, shared) => {
    expect([...web]).toEqual([...shared]);
  });

  it('the live stream listens to every event type', () => {
    expect([...EVENT_TYPES].sort()).toEqual([...contracts.EVENT_TYPES].sort());
  });

  it('every stage, status and type has a label and a tone', () => {
    for (const s of vocab.CLIENT_STAGES) expect(vocab.STAGE_LABELS[s] && vocab.STAGE_TONES[s]).toBeTruthy();
    for (const s of vocab.TASK_STATUSES) expect(vocab.TASK_STATUS_LABELS[s] && vocab.TASK_STATUS_TONES[s]).toBeTruthy();
    for (const s of vocab.EMAIL_STATUSES) expect(vocab.EMAIL_STATUS_LABELS[s] && vocab.EMAIL_STATUS_TONES[s]).toBeTruthy();
    for (const t of vocab.PROPERTY_TYPES) expect(vocab.PROPERTY_TYPE_LABELS[t]).toBeTruthy();
    for (const s of vocab.CLIENT_SORTS) expect(vocab.SORT_LABELS[s]).toBeTruthy();
    for (const a of vocab.PLAN_ACTIONS) expect(vocab.PLAN_ACTION_LABELS[a] && vocab.PLAN_ACTION_HINTS[a]).toBeTruthy();
    for (const s of vocab.ENROLLMENT_STATUSES) expect(vocab.ENROLLMENT_STATUS_LABELS[s] && vocab.ENROLLMENT_STATUS_TONES[s]).toBeTruthy();
    for (const r of vocab.ENROLLMENT_END_REASONS) expect(vocab.ENDED_REASON_LABELS[r]).toBeTruthy();
    for (const r of vocab.TASK_HOLD_REASONS) expect(vocab.HOLD_REASON_LABELS[r]).toBeTruthy();
  });
});
