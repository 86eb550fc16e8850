import { Type } from '@sinclair/typebox';
import { CustomFields, Email, Timestamp } from '../common.ts';
import { ClientStage, PropertyType } from '../enums.ts';

export const AgentRegistered = Type.Object({
  email: Email,
  name: Type.String({ minLength: 1, maxLength: 200 }),
  /** scrypt hash (`scrypt$N$r$p$salt$hash`), never the password. */
  password_hash: Type.String(),
});

/** The client's full profile, as created. */
export const ClientProfile = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 200 }),
  email: Email,
  phone: Type.Union([Type.String({ maxLength: 40 }), Type.Null()]),
  property_address: Type.Union([Type.String({ maxLength: 500 }), Type.Null()]),
  property_type: Type.Union([PropertyType, Type.Null()]),
  notes: Type.Union([Type.String({ maxLength: 5000 }), Type.Null()]),
  custom_fields: CustomFields,
});

export const ClientCreated = Type.Composite([ClientProfile, Type.Object({ stage: ClientStage })]);
/** Only the fields that changed, with their new values. */
export const ClientUpdated = Type.Object({ changes: Type.Partial(ClientProfile) });
/**
 * The stage moved. A PATCH that also changes other fields carries them in `changes` (only
 * those that changed, as in ClientUpdated): one command, one event, so a write is appended
 * whole or not at all. Older histories hold a ClientUpdated then a ClientStageChanged
 * without `changes`; both fold the same.
 */
export const ClientStageChanged = Type.Object({ from: ClientStage, to: ClientStage, changes: Type.Optional(Type.Partial(ClientProfile)) });
export const ClientDeleted = Type.Object({ email: Email });
export const ClientUnsubscribed = Type.Object({
  source: Type.Union([Type.Literal('link'), Type.Literal('webhook'), Type.Literal('agent')]),
  at: Timestamp,
});
