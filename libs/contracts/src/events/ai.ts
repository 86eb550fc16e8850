import { Type } from '@sinclair/typebox';
import { Email, Text, Uuid } from '../common.ts';
import { FollowupType } from '../enums.ts';

export const EmailGenerated = Type.Object({
  task_id: Type.Union([Uuid, Type.Null()]),
  client_id: Uuid,
  followup_type: FollowupType,
  to_email: Email,
  to_name: Text(),
  subject: Text({ minLength: 1, maxLength: 200 }),
  body: Text({ minLength: 1, maxLength: 10000 }),
  provider: Text(),
  model: Text(),
  prompt_version: Text(),
  /** Why the provider's own answer was not used, when the template stood in. */
  fallback_reason: Type.Union([Text(), Type.Null()]),
});
export const EmailGenerationFailed = Type.Object({
  task_id: Type.Union([Uuid, Type.Null()]),
  client_id: Uuid,
  reason: Text({ maxLength: 2000 }),
});
