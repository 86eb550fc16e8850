import type { Envelope } from '@realtoros/contracts';
import { type EventStore, type RunningConsumer, runConsumer } from '@realtoros/messaging';
import type { Logger } from '@realtoros/observability';
import type { PlanStep } from '@realtoros/planning';
import { liveEnrollment } from '../enrollment/enrollment.ts';
import type { EnrollmentStore } from '../enrollment/enrollment-store.ts';
import { ensureDefaultPlan, type PlanStore } from '../plan/plan-store.ts';
import { serialByKey } from './concurrency.ts';

export const DEFAULT_PLANS_DURABLE = 'scheduler-default-plans';
export const EMAIL_STOPS_DURABLE = 'scheduler-email-stops';
export const REPLY_STOPS_DURABLE = 'scheduler-reply-stops';

/**
 * AgentRegistered → the agent's default plan (PlanCreated expecting an empty subject, its id
 * derived from the plan: once, whoever gets there first — this consumer, which also replays
 * the agents registered before plans existed, or the planner's lazy path).
 */
export function agentEventsHandler(deps: { plans: PlanStore; defaultSteps: readonly PlanStep[]; now?: () => Date }) {
  const now = deps.now ?? (() => new Date());
  return async (event: Envelope, traceparent: string | null = null): Promise<void> => {
    if (event.type !== 'AgentRegistered') return;
    await ensureDefaultPlan(deps.plans, event.agent_id, deps.defaultSteps, {
      correlationId: event.correlation_id,
      causationId: event.id,
      traceparent,
      occurredAt: now(),
    });
  };
}

export function startDefaultPlans(
  deps: Parameters<typeof agentEventsHandler>[0] & { store: EventStore; log: Logger },
): Promise<RunningConsumer> {
  const handle = agentEventsHandler(deps);
  return runConsumer({
    js: deps.store.js,
    jsm: deps.store.jsm,
    stream: 'CRM',
    durable: DEFAULT_PLANS_DURABLE,
    filterSubject: 'crm.*.agent',
    log: deps.log,
    concurrency: 16, // agents are independent
    handle: (event, ctx) => handle(event, ctx.traceparent),
  });
}

/**
 * Mailer outcomes that end automation for the client: EmailBounced → `bounced`,
 * EmailSpamReported → `spam_reported` — the live enrolment of that email's client, when it
 * began before the report (a replayed old bounce does not end a later enrolment).
 */
export function emailEventsHandler(deps: { enrollments: EnrollmentStore; now?: () => Date }) {
  const now = deps.now ?? (() => new Date());
  return async (event: Envelope, traceparent: string | null = null): Promise<void> => {
    const reason = event.type === 'EmailBounced' ? 'bounced' : event.type === 'EmailSpamReported' ? 'spam_reported' : null;
    if (!reason || !('client_id' in event.data)) return;
    await deps.enrollments.handle(
      { agentId: event.agent_id, aggregateId: event.data.client_id },
      { type: 'EndEnrollment', data: { reason, manual: false, enrolled_before: event.occurred_at } },
      { correlationId: event.correlation_id, causationId: event.id, traceparent, occurredAt: now() },
    );
  };
}

export function startEmailStops(
  deps: Parameters<typeof emailEventsHandler>[0] & { store: EventStore; log: Logger },
): Promise<RunningConsumer> {
  const handle = emailEventsHandler(deps);
  const serial = serialByKey();
  return runConsumer({
    js: deps.store.js,
    jsm: deps.store.jsm,
    stream: 'MAILER',
    durable: EMAIL_STOPS_DURABLE,
    // Every email event passes by (2.9 filters by subject only); all but two are skipped at once.
    filterSubject: 'mail.*.email.*',
    log: deps.log,
    concurrency: 32,
    handle: (event, ctx) => {
      const clientId = (event.data as { client_id?: unknown }).client_id;
      return serial(`${event.agent_id}.${String(clientId)}`, () => handle(event, ctx.traceparent));
    },
  });
}

/**
 * A client's reply (MAILER `mail.<agent>.client.<client>`) → its live enrolment, when it
 * began before the reply. A person's reply ends it (`replied`), or — when the enrolment's
 * plan says `on_reply: pause` — pauses it until the agent resumes it. An automatic reply
 * (out of office…) pauses it for `autoReplyPauseDays`, after which its resume timer resumes it.
 */
export function replyEventsHandler(deps: { enrollments: EnrollmentStore; plans: PlanStore; autoReplyPauseDays: number; now?: () => Date }) {
  const now = deps.now ?? (() => new Date());
  return async (event: Envelope, traceparent: string | null = null): Promise<void> => {
    if (event.type !== 'ClientReplied') return;
    const d = event.data;
    const ref = { agentId: event.agent_id, aggregateId: d.client_id };
    const cause = { correlationId: event.correlation_id, causationId: event.id, traceparent, occurredAt: now() };
    const enrolled_before = d.received_at;
    if (d.auto_reply !== null) {
      const until = new Date(Date.parse(d.received_at) + deps.autoReplyPauseDays * 86_400_000).toISOString();
      await deps.enrollments.handle(
        ref,
        { type: 'PauseEnrollment', data: { reason: 'auto_reply', until, manual: false, enrolled_before } },
        cause,
      );
      return;
    }
    // The plan's current choice decides (as its stop stages do), read before the decision.
    const planId = liveEnrollment((await deps.enrollments.load(ref)).state)?.plan_id ?? null;
    const plan = planId ? (await deps.plans.load({ agentId: event.agent_id, aggregateId: planId })).state : null;
    const pausingPlan = plan && plan.status !== 'absent' && plan.on_reply === 'pause' ? plan.id : null;
    await deps.enrollments.handle(
      ref,
      (state) =>
        pausingPlan && liveEnrollment(state)?.plan_id === pausingPlan
          ? { type: 'PauseEnrollment', data: { reason: 'replied', until: null, manual: false, enrolled_before } }
          : { type: 'EndEnrollment', data: { reason: 'replied', manual: false, enrolled_before } },
      cause,
    );
  };
}

export function startReplyStops(
  deps: Parameters<typeof replyEventsHandler>[0] & { store: EventStore; log: Logger },
): Promise<RunningConsumer> {
  const handle = replyEventsHandler(deps);
  const serial = serialByKey();
  return runConsumer({
    js: deps.store.js,
    jsm: deps.store.jsm,
    stream: 'MAILER',
    durable: REPLY_STOPS_DURABLE,
    filterSubject: 'mail.*.client.*',
    log: deps.log,
    concurrency: 32,
    handle: (event, ctx) => serial(`${event.agent_id}.${event.aggregate_id}`, () => handle(event, ctx.traceparent)),
  });
}
