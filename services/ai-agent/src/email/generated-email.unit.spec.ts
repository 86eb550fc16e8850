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
