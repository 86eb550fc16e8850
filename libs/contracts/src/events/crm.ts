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
export const ClientStageChanged = Type.Object({ from: ClientStage, to: ClientStage });
export const ClientDeleted = Type.Object({ email: Email });
export const ClientUnsubscribed = Type.Object({
  source: Type.Union([Type.Literal('link'), Type.Literal('webhook'), Type.Literal('agent')]),
  at: Timestamp,
});
