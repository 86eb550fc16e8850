import { Type } from '@sinclair/typebox';
import { Email, Text, Timestamp, Uuid } from '../common.ts';
import { FollowupType } from '../enums.ts';

const Nullable = <T extends import('@sinclair/typebox').TSchema>(t: T) => Type.Union([t, Type.Null()]);

/**
 * What the writer was given, as the email page shows it (HUD 2024: the agent answers for what
 * AI writes in their name): a summary — "Stage: lead", "Notes: given (212 characters)" — never
 * the notes themselves or any secret.
 */
export const EmailFact = Type.Object({ label: Text({ minLength: 1, maxLength: 60 }), value: Text({ maxLength: 300 }) });

/** The text the AI wrote, kept when the agent edited it before approving (the final text is the email's own). */
export const AiDraft = Type.Object({ subject: Text({ maxLength: 200 }), body: Text({ maxLength: 10000 }) });

/**
 * Provenance fields (issue 9), optional so emails written before them stay valid: `facts` the
 * writer was given; `ai_draft` the AI's own text when the agent changed it; `approval` who
 * approved a reviewed draft and when.
 */
const Provenance = {
  facts: Type.Optional(Type.Array(EmailFact, { maxItems: 30 })),
  ai_draft: Type.Optional(Nullable(AiDraft)),
  approval: Type.Optional(Nullable(Type.Object({ by: Uuid, approved_at: Timestamp, edited: Type.Boolean() }))),
};

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
  ...Provenance,
});
export const EmailGenerationFailed = Type.Object({
  task_id: Type.Union([Uuid, Type.Null()]),
  client_id: Uuid,
  reason: Text({ maxLength: 2000 }),
});

// ---------------------------------------------------------------------------------------
// Review before sending (issue 9): a draft waits on the email's own subject
// (`ai.<agent>.email.<email>`) until the agent approves (→ EmailApproved, then the
// EmailGenerated the mailer sends), rejects (→ EmailRejected: the step is skipped) or asks
// for another version (→ a further EmailAwaitingApproval, `revision` + 1).

/**
 * Why a draft waits: `step` — its plan step is `email_review`; `default` — the agent reviews
 * every automated email (settings `review_by_default`); `guardrail` — the output check refused
 * the AI's text, so the fallback template waits with the reason (`fallback_reason`).
 */
export const ReviewReason = Type.Union([Type.Literal('step'), Type.Literal('default'), Type.Literal('guardrail')]);
export const EmailAwaitingApproval = Type.Object({
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
  fallback_reason: Type.Union([Text(), Type.Null()]),
  facts: Type.Array(EmailFact, { maxItems: 30 }),
  review_reason: ReviewReason,
  /** 1 for the first draft; each regeneration adds one. */
  revision: Type.Integer({ minimum: 1 }),
  /** The agent's extra instructions for a regenerated draft. */
  agent_instructions: Type.Optional(Nullable(Text({ maxLength: 2000 }))),
});
/** The agent approved the draft (with their own subject/body when `edited`); the EmailGenerated that follows is what is sent. */
export const EmailApproved = Type.Object({
  task_id: Type.Union([Uuid, Type.Null()]),
  client_id: Uuid,
  by: Uuid,
  approved_at: Timestamp,
  revision: Type.Integer({ minimum: 1 }),
  edited: Type.Boolean(),
});
/** The agent rejected the draft: nothing is sent and its step is skipped. */
export const EmailRejected = Type.Object({
  task_id: Type.Union([Uuid, Type.Null()]),
  client_id: Uuid,
  by: Uuid,
  rejected_at: Timestamp,
  reason: Text({ minLength: 1, maxLength: 500 }),
});
