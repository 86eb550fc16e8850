import { Kind, Type, TypeRegistry, type Static } from '@sinclair/typebox';

// A string enum that renders as JSON Schema `enum` (clear ajv errors, clean OpenAPI) and
// that TypeBox's Value.Check understands through a registered kind.
if (!TypeRegistry.Has('StringEnum'))
  TypeRegistry.Set<{ enum: string[] }>('StringEnum', (schema, value) => typeof value === 'string' && schema.enum.includes(value));
export const StringEnum = <const T extends readonly string[]>(values: T, options: { description?: string } = {}) =>
  Type.Unsafe<T[number]>({ [Kind]: 'StringEnum', type: 'string', enum: [...values], ...options });


/** The fixed vocabularies of ARCHITECTURE.md §7. */
export const CLIENT_STAGES = ['lead', 'contacted', 'qualified', 'negotiating', 'under_contract', 'closed', 'lost'] as const;
export const PROPERTY_TYPES = ['residential', 'commercial', 'land', 'multi_family', 'rental'] as const;
export const FOLLOWUP_TYPES = ['Day 1', 'Day 3', 'Week 1', 'Week 2', 'Month 1', 'Custom'] as const;
export const TASK_STATUSES = ['pending', 'due', 'completed', 'skipped', 'failed', 'cancelled'] as const;
export const PRIORITIES = ['high', 'medium', 'low'] as const;
export const EMAIL_STATUSES = [
  'generated', 'queued', 'sending', 'sent', 'unknown', 'failed', 'suppressed',
  'delivered', 'opened', 'clicked', 'bounced', 'dropped', 'spam_reported', 'unsubscribed',
  // A draft in review (issue 9): waiting for the agent, or rejected by them (never sent).
  'awaiting_approval', 'rejected',
] as const;

export const ClientStage = StringEnum(CLIENT_STAGES);
export const PropertyType = StringEnum(PROPERTY_TYPES);
export const FollowupType = StringEnum(FOLLOWUP_TYPES);
export const TaskStatus = StringEnum(TASK_STATUSES);
export const Priority = StringEnum(PRIORITIES);
export const EmailStatus = StringEnum(EMAIL_STATUSES);

export type ClientStage = Static<typeof ClientStage>;
export type PropertyType = Static<typeof PropertyType>;
export type FollowupType = Static<typeof FollowupType>;
export type TaskStatus = Static<typeof TaskStatus>;
export type Priority = Static<typeof Priority>;
export type EmailStatus = Static<typeof EmailStatus>;

/**
 * Email status precedence: a webhook event may arrive late or twice; the status only
 * ever moves to a higher rank (a late `delivered` never undoes `bounced`).
 */
export const EMAIL_STATUS_RANK: Record<EmailStatus, number> = {
  generated: 0, queued: 1, sending: 2, unknown: 3, failed: 4, suppressed: 4, sent: 5,
  delivered: 6, opened: 7, clicked: 8, bounced: 9, dropped: 9, spam_reported: 10, unsubscribed: 10,
  // The approval moves a draft on to `generated` explicitly (the projector sets it), so the
  // draft's rank only has to stay below everything the mailer reports.
  awaiting_approval: 0, rejected: 4,
};

/**
 * Plans and enrolments (issue 8, ARCHITECTURE.md §10). A step's action: `email` is written by
 * the AI and sent; `email_review` is written by the AI and waits for the agent's approval (the
 * approval queue comes with the replies issue: until then it is sent like `email`, and its
 * trail says so); `task` is a reminder for the agent to call or text (no email).
 */
export const PLAN_ACTIONS = ['email', 'email_review', 'task'] as const;
export const PlanAction = StringEnum(PLAN_ACTIONS);
export type PlanAction = Static<typeof PlanAction>;

export const ENROLLMENT_STATUSES = ['active', 'paused', 'ended'] as const;
export const EnrollmentStatus = StringEnum(ENROLLMENT_STATUSES);
export type EnrollmentStatus = Static<typeof EnrollmentStatus>;

/**
 * Why an enrolment ended (§10 names the first nine). `stage_<stage>`: the client moved to one
 * of the plan's stop stages (default lost and closed); `spam_reported`: the client marked an
 * email as spam; `plan_deleted`: the agent deleted the plan; `completed`: every step ran.
 */
export const ENROLLMENT_END_REASONS = [
  'stage_lost',
  'stage_closed',
  'replied',
  'unsubscribed',
  'bounced',
  'deleted',
  'conversation',
  'manual',
  'replaced',
  'spam_reported',
  'plan_deleted',
  'completed',
  'stage_lead',
  'stage_contacted',
  'stage_qualified',
  'stage_negotiating',
  'stage_under_contract',
] as const;
export const EnrollmentEndReason = StringEnum(ENROLLMENT_END_REASONS);
export type EnrollmentEndReason = Static<typeof EnrollmentEndReason>;

/**
 * Why a task was cancelled: the client's own facts (deleted, unsubscribed), the end of the
 * enrolment it belongs to (the enrolment's reason), or a plan edit that removed its step.
 */
export const TASK_CANCEL_REASONS = ['client_deleted', 'client_unsubscribed', 'step_removed', ...ENROLLMENT_END_REASONS] as const;
export const TaskCancelReason = StringEnum(TASK_CANCEL_REASONS);
export type TaskCancelReason = Static<typeof TaskCancelReason>;

/** Why a due step was held back: the agent's daily cap of automated emails, or a paused enrolment. */
export const TASK_HOLD_REASONS = ['daily_cap', 'paused'] as const;
export const TaskHoldReason = StringEnum(TASK_HOLD_REASONS);
export type TaskHoldReason = Static<typeof TaskHoldReason>;

/** What a CSV column can become in an import (issue 10): a client field, half of the name, a custom field, or nothing. */
export const IMPORT_TARGETS = [
  'name',
  'first_name',
  'last_name',
  'email',
  'phone',
  'property_address',
  'property_type',
  'stage',
  'notes',
  'time_zone',
  'tags',
  'custom',
  'ignore',
] as const;
export const ImportTarget = StringEnum(IMPORT_TARGETS);
export type ImportTarget = Static<typeof ImportTarget>;
export const IMPORT_DUPLICATE_CHOICES = ['skip', 'update'] as const;
export const ImportOnDuplicate = StringEnum(IMPORT_DUPLICATE_CHOICES);
export type ImportOnDuplicate = Static<typeof ImportOnDuplicate>;
