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

export type ClientStage = (typeof CLIENT_STAGES)[number];
export type PropertyType = (typeof PROPERTY_TYPES)[number];
export type FollowupType = (typeof FOLLOWUP_TYPES)[number];
export type TaskStatus = (typeof TASK_STATUSES)[number];
export type Priority = (typeof PRIORITIES)[number];
export type EmailStatus = (typeof EMAIL_STATUSES)[number];
export type ClientSort = (typeof CLIENT_SORTS)[number];

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
};

export const isOneOf = <T extends readonly string[]>(values: T, v: unknown): v is T[number] =>
  typeof v === 'string' && (values as readonly string[]).includes(v);

export const labelOf = <K extends string>(labels: Record<K, string>, v: string | null | undefined, fallback = '—') =>
  v == null ? fallback : ((labels as Record<string, string>)[v] ?? v);
