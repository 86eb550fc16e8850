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
};
