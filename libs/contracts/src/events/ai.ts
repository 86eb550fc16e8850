import { Type } from '@sinclair/typebox';
import { Email, Uuid } from '../common.ts';
import { FollowupType } from '../enums.ts';

export const EmailGenerated = Type.Object({
  task_id: Type.Union([Uuid, Type.Null()]),
  client_id: Uuid,
  followup_type: FollowupType,
  to_email: Email,
  to_name: Type.String(),
  subject: Type.String({ minLength: 1, maxLength: 200 }),
  body: Type.String({ minLength: 1, maxLength: 10000 }),
  provider: Type.String(),
  model: Type.String(),
  prompt_version: Type.String(),
  /** Why the provider's own answer was not used, when the template stood in. */
  fallback_reason: Type.Union([Type.String(), Type.Null()]),
});
export const EmailGenerationFailed = Type.Object({
  task_id: Type.Union([Uuid, Type.Null()]),
  client_id: Uuid,
  reason: Type.String({ maxLength: 2000 }),
});
