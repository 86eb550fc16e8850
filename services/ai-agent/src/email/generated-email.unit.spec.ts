import { deciderSpec } from '@realtoros/testing';
import { describe, it } from 'vitest';
import { generatedEmailDecider } from './generated-email.ts';

const CLIENT = '0190a000-0000-7000-8000-0000000000c1';
const spec = deciderSpec(generatedEmailDecider);
const email = {
  task_id: null,
  client_id: CLIENT,
  followup_type: 'Custom' as const,
  to_email: 'ann@example.com',
  to_name: 'Ann',
  subject: 'Hi',
  body: 'Hello Ann',
  provider: 'template',
  model: 'template',
  prompt_version: 'followup-v1',
  fallback_reason: null,
};
const failure = { task_id: null, client_id: CLIENT, reason: 'client_deleted' };

describe('generated email decider', () => {
  it('given nothing, when the email is written, then EmailGenerated', () => {
    spec
      .given([])
      .when({ type: 'RecordGeneratedEmail', data: email })
      .then([{ type: 'EmailGenerated', data: email }]);
  });
  it('given nothing, when writing failed, then EmailGenerationFailed', () => {
    spec
      .given([])
      .when({ type: 'RecordGenerationFailure', data: failure })
      .then([{ type: 'EmailGenerationFailed', data: failure }]);
  });
  it('given an outcome, when another delivery or a retried command writes again, then nothing (never a second email)', () => {
    spec
      .given([{ type: 'EmailGenerated', data: email }])
      .when({ type: 'RecordGeneratedEmail', data: { ...email, subject: 'Other' } })
      .then([]);
    spec
      .given([{ type: 'EmailGenerationFailed', data: failure }])
      .when({ type: 'RecordGeneratedEmail', data: email })
      .then([]);
  });
});

describe('generated email decider: review before sending', () => {
  const draft = { ...email, facts: [{ label: 'Stage', value: 'lead' }], review_reason: 'step' as const, revision: 1 };
  const AGENT = '0190a000-0000-7000-8000-0000000000a9';
  const AT = '2026-12-03T15:00:00.000Z';
  it('given nothing, when a draft is recorded, then EmailAwaitingApproval (and nothing for the mailer)', () => {
    spec.given([]).when({ type: 'RecordDraft', data: draft }).then([{ type: 'EmailAwaitingApproval', data: draft }]);
  });
  it('given a draft, when approved with an edited body, then EmailApproved and the EmailGenerated the mailer sends, keeping the AI text', () => {
    spec
      .given([{ type: 'EmailAwaitingApproval', data: draft }])
      .when({ type: 'ApproveDraft', data: { by: AGENT, at: AT, body: 'My own words, Ann.' } })
      .then([
        { type: 'EmailApproved', data: { task_id: null, client_id: CLIENT, by: AGENT, approved_at: AT, revision: 1, edited: true } },
        {
          type: 'EmailGenerated',
          data: {
            ...email,
            body: 'My own words, Ann.',
            facts: draft.facts,
            ai_draft: { subject: email.subject, body: email.body },
            approval: { by: AGENT, approved_at: AT, edited: true },
          },
        },
      ]);
  });
  it('given an approved draft, when approved again, then a conflict (never a second email); rejected afterwards too', () => {
    const approved = [
      { type: 'EmailAwaitingApproval' as const, data: draft },
      { type: 'EmailGenerated' as const, data: email },
    ];
    spec.given(approved).when({ type: 'ApproveDraft', data: { by: AGENT, at: AT } }).thenThrows('conflict');
    spec.given(approved).when({ type: 'RejectDraft', data: { by: AGENT, at: AT, reason: 'no' } }).thenThrows('conflict');
  });
  it('given a draft, when rejected, then EmailRejected; a stale regeneration (old revision) decides nothing, the next one is recorded', () => {
    spec
      .given([{ type: 'EmailAwaitingApproval', data: draft }])
      .when({ type: 'RejectDraft', data: { by: AGENT, at: AT, reason: 'Too pushy' } })
      .then([{ type: 'EmailRejected', data: { task_id: null, client_id: CLIENT, by: AGENT, rejected_at: AT, reason: 'Too pushy' } }]);
    spec.given([{ type: 'EmailAwaitingApproval', data: draft }]).when({ type: 'RecordDraft', data: draft }).then([]);
    const next = { ...draft, revision: 2, agent_instructions: 'shorter' };
    spec.given([{ type: 'EmailAwaitingApproval', data: draft }]).when({ type: 'RecordDraft', data: next }).then([{ type: 'EmailAwaitingApproval', data: next }]);
  });
  it('given nothing, when approving, then not found', () => {
    spec.given([]).when({ type: 'ApproveDraft', data: { by: AGENT, at: AT } }).thenThrows('not_found');
  });
});
