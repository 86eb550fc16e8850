import type { AuditAction, crmEvents } from '@realtoros/contracts';
import { sendCommand } from '@realtoros/messaging';
import type { Static } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { v7 as uuidv7 } from 'uuid';
import { commandIdFor } from './plugins/idempotency.ts';

type Extra = Pick<Static<typeof crmEvents.AuditRecorded>, 'target_type' | 'target_id' | 'detail'>;
/** An audit entry may delay the answer by one command round trip at most, and no more than this. */
const AUDIT_TIMEOUT_MS = 2000;

/**
 * Records one audit-log entry (issue 13) for `agentId`: crm's `record_audit`, one command
 * round trip, no read-your-writes wait. IP = req.ip (TRUST_PROXY decides whether
 * X-Forwarded-For counts); the user agent truncated to 300 characters. Callers pass ids,
 * counts and field names only, never client data or secrets.
 *
 * Never throws: when crm cannot record it (down, slow), the agent's action is not refused
 * for it — the entry is logged as a warning instead (the log keeps who, what, from where).
 */
export async function recordAudit(
  app: FastifyInstance,
  req: FastifyRequest,
  agentId: string,
  action: AuditAction,
  extra: Extra = {},
): Promise<void> {
  const ua = req.headers['user-agent'];
  const entry = {
    action,
    ip: req.ip ? req.ip.slice(0, 64) : null,
    // Header values are latin1 and carry no NUL (Node refuses it): storable as they are.
    user_agent: typeof ua === 'string' && ua !== '' ? ua.slice(0, 300) : null,
    ...extra,
  };
  const meta = {
    // With an Idempotency-Key a retried request is the same entry (same command id → same event id).
    command_id: commandIdFor(req, agentId, `crm.record_audit.${action}`, uuidv7),
    agent_id: agentId,
    correlation_id: String(req.id),
    issued_at: new Date().toISOString(),
  };
  try {
    const reply = await sendCommand(app.deps.nc, 'crm', 'record_audit', entry, meta, {
      timeoutMs: Math.min(AUDIT_TIMEOUT_MS, app.deps.config.COMMAND_TIMEOUT_MS),
      traceparent: (req.headers.traceparent as string | undefined) ?? null,
    });
    if (!reply.ok) req.log.warn({ audit: { agent_id: agentId, ...entry }, error: reply.error }, 'audit entry refused');
  } catch (err) {
    req.log.warn({ audit: { agent_id: agentId, ...entry }, err: (err as Error).message }, 'audit entry not recorded');
  }
}
