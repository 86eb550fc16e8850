/**
 * The fixed vocabularies of ARCHITECTURE.md §7, as the browser needs them. They mirror
 * `@realtoros/contracts` (which pulls TypeBox, too heavy for the client bundle);
 * `vocab.unit.spec.ts` keeps the two identical.
 */
export const CLIENT_STAGES = ['lead', 'contacted', 'qualified', 'negotiating', 'under_contract', 'closed', 'lost'] as const;
export const PROPERTY_TYPES = ['residential', 'commercial', 'land', 'multi_family', 'rental'] as const;
export const FOLLOWUP_TYPES = ['Day 1', 'Day 3', 'Week 1', 'Week 2', 'Month 1', 'Custom'] as const;
export const TASK_STATUSES = ['pending', 'due', 'completed', 'skipped', 'failed', 'cancelled'] as const;
export const PRIORITIES = ['high', 'medium', 'low'] as const;
export const EMAIL_STATUSES = [
  'generated',
  'queued',
  'sending',
  'sent',
  'unknown',
  'failed',
  'suppressed',
  'delivered',
  'opened',
  'clicked',
  'bounced',
  'dropped',
  'spam_reported',
  'unsubscribed',
  'awaiting_approval',
  'rejected',
] as const;
export const CLIENT_SORTS = [
  'name',
  '-name',
  'created_at',
  '-created_at',
  'updated_at',
  '-updated_at',
  'last_contacted',
  '-last_contacted',
] as const;

export const PLAN_ACTIONS = ['email', 'email_review', 'task'] as const;
export const ENROLLMENT_STATUSES = ['active', 'paused', 'ended'] as const;
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
export const TASK_HOLD_REASONS = ['daily_cap', 'paused'] as const;

export type ClientStage = (typeof CLIENT_STAGES)[number];
export type PropertyType = (typeof PROPERTY_TYPES)[number];
export type FollowupType = (typeof FOLLOWUP_TYPES)[number];
export type TaskStatus = (typeof TASK_STATUSES)[number];
export type Priority = (typeof PRIORITIES)[number];
export type EmailStatus = (typeof EMAIL_STATUSES)[number];
export type ClientSort = (typeof CLIENT_SORTS)[number];
export type PlanAction = (typeof PLAN_ACTIONS)[number];
export type EnrollmentStatus = (typeof ENROLLMENT_STATUSES)[number];
export type EnrollmentEndReason = (typeof ENROLLMENT_END_REASONS)[number];
export type TaskHoldReason = (typeof TASK_HOLD_REASONS)[number];

export const STAGE_LABELS: Record<ClientStage, string> = {
  lead: 'Lead',
  contacted: 'Contacted',
  qualified: 'Qualified',
  negotiating: 'Negotiating',
  under_contract: 'Under contract',
  closed: 'Closed',
  lost: 'Lost',
};
export const PROPERTY_TYPE_LABELS: Record<PropertyType, string> = {
  residential: 'Residential',
  commercial: 'Commercial',
  land: 'Land',
  multi_family: 'Multi-family',
  rental: 'Rental',
};
export const TASK_STATUS_LABELS: Record<TaskStatus, string> = {
  pending: 'Scheduled',
  due: 'Sending',
  completed: 'Done',
  skipped: 'Skipped',
  failed: 'Failed',
  cancelled: 'Cancelled',
};
export const EMAIL_STATUS_LABELS: Record<EmailStatus, string> = {
  generated: 'Written',
  queued: 'Queued',
  sending: 'Sending',
  sent: 'Sent',
  unknown: 'Unknown',
  failed: 'Failed',
  suppressed: 'Suppressed',
  delivered: 'Delivered',
  opened: 'Opened',
  clicked: 'Clicked',
  bounced: 'Bounced',
  dropped: 'Dropped',
  spam_reported: 'Spam report',
  unsubscribed: 'Unsubscribed',
  awaiting_approval: 'Awaiting approval',
  rejected: 'Rejected',
};
export const SORT_LABELS: Record<ClientSort, string> = {
  '-created_at': 'Newest first',
  created_at: 'Oldest first',
  name: 'Name A–Z',
  '-name': 'Name Z–A',
  '-updated_at': 'Recently updated',
  updated_at: 'Least recently updated',
  '-last_contacted': 'Recently contacted',
  last_contacted: 'Longest since contact',
};

/** What a plan step does, and the line that explains it in the editor. */
export const PLAN_ACTION_LABELS: Record<PlanAction, string> = {
  email: 'Email',
  email_review: 'Email, reviewed first',
  task: 'Reminder',
};
export const PLAN_ACTION_HINTS: Record<PlanAction, string> = {
  email: 'Written by the AI and sent.',
  email_review: 'Review before sending — coming soon, sent as written for now.',
  task: 'A reminder for you to call or text.',
};
export const ENROLLMENT_STATUS_LABELS: Record<EnrollmentStatus, string> = { active: 'Active', paused: 'Paused', ended: 'Ended' };
/** Why an enrolment ended, as the sentence "The plan ended because …" finishes. */
export const ENDED_REASON_LABELS: Record<EnrollmentEndReason, string> = {
  stage_lost: 'the client was marked lost',
  stage_closed: 'the client was marked closed',
  stage_lead: 'the client moved back to lead',
  stage_contacted: 'the client moved to contacted',
  stage_qualified: 'the client moved to qualified',
  stage_negotiating: 'the client moved to negotiating',
  stage_under_contract: 'the client went under contract',
  replied: 'the client replied',
  unsubscribed: 'the client unsubscribed',
  bounced: 'an email to the client bounced',
  deleted: 'the client was deleted',
  conversation: 'a conversation started',
  manual: 'you ended it',
  replaced: 'the client was enrolled in another plan',
  spam_reported: 'the client reported an email as spam',
  plan_deleted: 'the plan was deleted',
  completed: 'every step ran',
};
export const HOLD_REASON_LABELS: Record<TaskHoldReason, string> = {
  daily_cap: 'Daily cap reached',
  paused: 'Plan paused',
};
/** ISO weekdays (1 = Monday … 7 = Sunday), as the settings store them. */
export const WEEKDAYS = [
  { iso: 1, short: 'Mon', long: 'Monday' },
  { iso: 2, short: 'Tue', long: 'Tuesday' },
  { iso: 3, short: 'Wed', long: 'Wednesday' },
  { iso: 4, short: 'Thu', long: 'Thursday' },
  { iso: 5, short: 'Fri', long: 'Friday' },
  { iso: 6, short: 'Sat', long: 'Saturday' },
  { iso: 7, short: 'Sun', long: 'Sunday' },
] as const;

/** Tone of a badge: drives its colour (always paired with text, never colour alone). */
export type Tone = 'neutral' | 'info' | 'success' | 'warning' | 'danger' | 'accent';

export const STAGE_TONES: Record<ClientStage, Tone> = {
  lead: 'neutral',
  contacted: 'info',
  qualified: 'accent',
  negotiating: 'warning',
  under_contract: 'success',
  closed: 'success',
  lost: 'danger',
};
export const TASK_STATUS_TONES: Record<TaskStatus, Tone> = {
  pending: 'info',
  due: 'warning',
  completed: 'success',
  skipped: 'neutral',
  failed: 'danger',
  cancelled: 'neutral',
};
export const EMAIL_STATUS_TONES: Record<EmailStatus, Tone> = {
  generated: 'neutral',
  queued: 'neutral',
  sending: 'info',
  sent: 'info',
  unknown: 'warning',
  failed: 'danger',
  suppressed: 'warning',
  delivered: 'info',
  opened: 'success',
  clicked: 'accent',
  bounced: 'danger',
  dropped: 'danger',
  spam_reported: 'danger',
  unsubscribed: 'warning',
  awaiting_approval: 'accent',
  rejected: 'neutral',
};

export const ENROLLMENT_STATUS_TONES: Record<EnrollmentStatus, Tone> = { active: 'success', paused: 'warning', ended: 'neutral' };

export const isOneOf = <T extends readonly string[]>(values: T, v: unknown): v is T[number] =>
  typeof v === 'string' && (values as readonly string[]).includes(v);

export const labelOf = <K extends string>(labels: Record<K, string>, v: string | null | undefined, fallback = '—') =>
  v == null ? fallback : ((labels as Record<string, string>)[v] ?? v);
