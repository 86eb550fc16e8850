import {
  automationStop,
  type ClientFacts,
  clientStanding,
  type Envelope,
  foldClientFacts,
  STOP_STAGES,
  subjects,
} from '@realtoros/contracts';
import { type EventStore, isWrongLastSequence, storableText } from '@realtoros/messaging';
import type { Logger } from '@realtoros/observability';
import { emailHandler } from '../email/handler.ts';
import { buildMessage, type MessageOptions } from '../message.ts';
import { type Address, type EmailSender, SendError } from '../providers/types.ts';
import {
  type AttemptRecord,
  followEvents,
  indexMessageId,
  live,
  type MailerState,
  outcomeOf,
  readJson,
  type Suppression,
  suppressionKey,
  toBytes,
} from '../state.ts';

export type MailerDeps = {
  store: EventStore;
  state: MailerState;
  sender: EmailSender;
  message: MessageOptions;
  log: Logger;
  /** Tries per email for transient failures (default 3) and the first backoff. */
  maxAttempts: number;
  retryBaseMs: number;
  now?: () => Date;
  sleep?: (ms: number) => Promise<void>;
};

/**
 * EmailGenerated → exactly one provider send → EmailSent | EmailFailed | EmailSuppressed, or
 * EmailSendUnknown when a previous delivery was interrupted after the attempt was recorded.
 *
 * The attempt record is created (KV `create`, fails if present) before the provider is
 * called and updated with the provider's answer right after, so a redelivery always finds out
 * what happened. What the email becomes is the decider's `RecordOutcome`: once per round, and
 * a lost answer is unknown unless SendGrid has already reported on the email.
 */
export async function onEmailGenerated(deps: MailerDeps, event: Envelope<'EmailGenerated'>, traceparent: string | null): Promise<void> {
  const now = deps.now ?? (() => new Date());
  const emailId = event.aggregate_id;
  const d = event.data;
  const existing = await deps.state.attempts.get(emailId);
  if (live(existing)) {
    const rec = existing.json<AttemptRecord>();
    // The agent had it resent: the first round's outcome is recorded (a resend needs one) and the
    // record now belongs to the resend, which must not be read as this round's.
    if (rec.resend_id) return;
    await indexMessageId(deps.state, emailId, rec);
    return recordOutcome(deps, event, null, rec, existing.revision, traceparent);
  }

  const base: AttemptRecord = {
    agent_id: event.agent_id,
    client_id: d.client_id,
    task_id: d.task_id,
    to_email: d.to_email,
    provider: deps.sender.provider,
    state: 'sending',
    attempts: 0,
    message_id: null,
    sent_at: null,
    reason: null,
    updated_at: now().toISOString(),
  };

  const suppressed = await suppressionReason(deps, event);
  const start: AttemptRecord = suppressed ? { ...base, state: 'suppressed', reason: suppressed } : base;
  const revision = await createAttempt(deps, emailId, start);
  if (revision === null) return onEmailGenerated(deps, event, traceparent); // another delivery got there first
  const done = suppressed ? { rec: start, revision } : await sendAttempts(deps, event, start, revision);
  return recordOutcome(deps, event, null, done.rec, done.revision, traceparent);
}

/**
 * Records the outcome of a round (`round`: null for the first, else the EmailResendRequested's
 * id) from its attempt record, through the email's command path; then brings the record (at
 * `revision`) in line with what was decided.
 */
export async function recordOutcome(
  deps: MailerDeps,
  generated: Envelope<'EmailGenerated'>,
  round: string | null,
  rec: AttemptRecord,
  revision: number,
  traceparent: string | null,
): Promise<void> {
  const now = deps.now ?? (() => new Date());
  const emailId = generated.aggregate_id;
  const outcome = outcomeOf(rec);
  const result = await emailHandler(deps.store).handle(
    generated.agent_id,
    emailId,
    generated,
    { type: 'RecordOutcome', round, outcome },
    {
      correlationId: generated.correlation_id,
      causationId: round ?? generated.id,
      traceparent,
      occurredAt: now(),
    },
  );
  if (rec.state === 'sending' && result.events.length > 0)
    deps.log.warn(
      { email_id: emailId, round, decided: result.events.map((e) => e.type), reason: 'reason' in outcome ? outcome.reason : null },
      'found an unfinished send attempt',
    );
  await followEvents(deps.state, deps.log, emailId, rec, revision, result.state, now());
}

/**
 * One round of provider calls for an email whose attempt record is at `revision` (state
 * `sending`): up to `maxAttempts` tries for transient failures. The record is updated before
 * each call (a crash during it leaves `sending` behind: unknown, never a resend) and with the
 * outcome right after. Returns the record in its final state: `sent`, `failed` or `unknown`.
 */
export async function sendAttempts(
  deps: MailerDeps,
  event: Envelope<'EmailGenerated'>,
  start: AttemptRecord,
  startRevision: number,
): Promise<{ rec: AttemptRecord; revision: number }> {
  const now = deps.now ?? (() => new Date());
  const emailId = event.aggregate_id;
  const message = buildMessage(event, await agentAddress(deps, event.agent_id), deps.message);
  const sleep = deps.sleep ?? ((ms: number) => new Promise((r) => setTimeout(r, ms)));
  let revision = startRevision;
  let rec = start;

  for (let attempt = 1; ; attempt++) {
    // Written before each call: a crash during it leaves `sending` behind, never a resend.
    rec = { ...rec, attempts: attempt, attempted_at: now().toISOString(), updated_at: now().toISOString() };
    revision = await deps.state.attempts.update(emailId, toBytes(rec), revision);
    try {
      const { messageId } = await deps.sender.send(message);
      rec = { ...rec, state: 'sent', message_id: messageId, sent_at: now().toISOString(), updated_at: now().toISOString() };
      // The one write that must not be lost to a NATS blip: without it a redelivery could
      // only say "unknown" about an email that did go out.
      const sentRevision = revision;
      const sent = rec;
      revision = await persistently(() => deps.state.attempts.update(emailId, toBytes(sent), sentRevision));
      await persistently(() => indexMessageId(deps.state, emailId, sent));
      return { rec, revision };
    } catch (err) {
      const e = err instanceof SendError ? err : new SendError('ambiguous', `send failed: ${(err as Error).message}`, { cause: err });
      if (e.kind === 'transient' && attempt < deps.maxAttempts) {
        const delay = Math.min(30_000, Math.max(e.retryAfterMs ?? 0, deps.retryBaseMs * 2 ** (attempt - 1)));
        deps.log.warn({ email_id: emailId, attempt, retry_in_ms: delay, reason: e.message }, 'send failed; retrying');
        await sleep(delay);
        continue;
      }
      const state = e.kind === 'ambiguous' ? 'unknown' : 'failed';
      // The provider's words: storable before they become an event (EmailFailed's reason is Text()).
      const reason = storableText(e.kind === 'transient' ? `${e.message} (gave up after ${attempt} attempts)` : e.message);
      rec = { ...rec, state, reason, updated_at: now().toISOString() };
      revision = await deps.state.attempts.update(emailId, toBytes(rec), revision);
      deps.log.warn({ email_id: emailId, state, reason }, 'email not sent');
      return { rec, revision };
    }
  }
}

export async function persistently<T>(write: () => Promise<T>, tries = 5): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await write();
    } catch (err) {
      if (i >= tries) throw err;
      await new Promise((r) => setTimeout(r, 100 * 2 ** i));
    }
  }
}

/** Creates the attempt record; its revision, or null when one exists already. */
async function createAttempt(deps: MailerDeps, emailId: string, rec: AttemptRecord): Promise<number | null> {
  try {
    return await deps.state.attempts.create(emailId, toBytes(rec));
  } catch (err) {
    if (isWrongLastSequence(err)) return null; // someone else got there first
    throw err;
  }
}

/**
 * Why this email must not go out, if it mustn't: the client's standing by the CRM's public
 * events (the one fold of client facts every service uses), then the automation's own stop
 * (a TaskDue fired before the enrolment ended or the stage became a stop stage: the
 * scheduler cannot cancel a task whose email is already on its way), then the suppression list.
 */
export async function suppressionReason(deps: MailerDeps, event: Envelope<'EmailGenerated'>): Promise<string | null> {
  const { events } = await deps.store.readSubject('CRM', subjects.client(event.agent_id, event.data.client_id));
  const facts = foldClientFacts(events.map((e) => e.event));
  const standing = clientStanding(facts);
  if (standing === 'deleted') return 'client_deleted';
  if (standing === 'unsubscribed') return 'unsubscribed';
  const stop = await automationStopReason(deps, event, facts);
  if (stop) return stop;
  const s = readJson<Suppression>(await deps.state.suppressions.get(suppressionKey(event.agent_id, event.data.to_email)));
  return s ? s.reason : null;
}

/**
 * Why automation must not send this email, if it was written by automation — because a
 * planned task (origin `plan`) fell due. The ai-agent names the TaskDue as the
 * EmailGenerated's cause; the task's own events say whether it was planned. Not automated:
 * the agent's "send now" (caused by their command, with or without a task) and the email of
 * a task the agent created themselves — the agent asked for those explicitly, so no rule
 * stops them (issue 8: a rule never overrides the agent's own task without saying so).
 *
 * A step of an enrolment stops when that enrolment has ended (its reason: `replaced`,
 * `manual`, `stage_lost`…) or when the client is now in one of the plan's stop stages and the
 * scheduler has not ended the enrolment yet. A task planned before plans existed stops on
 * lost and closed, as before.
 */
async function automationStopReason(deps: MailerDeps, event: Envelope<'EmailGenerated'>, facts: ClientFacts): Promise<string | null> {
  if (!event.data.task_id || !event.causation_id) return null;
  const { events } = await deps.store.readSubject('SCHEDULER', subjects.task(event.agent_id, event.data.task_id));
  const task = events.map((e) => e.event);
  const scheduled = task.find((e) => e.type === 'TaskScheduled');
  if (scheduled?.type !== 'TaskScheduled' || scheduled.data.origin !== 'plan') return null;
  if (!task.some((e) => e.type === 'TaskDue' && e.id === event.causation_id)) return null;
  const ref = scheduled.data.plan;
  if (!ref) return automationStop(facts);

  const enrollment = await deps.store.readSubject('SCHEDULER', subjects.enrollment(event.agent_id, event.data.client_id));
  const ended = enrollment.events
    .map((e) => e.event)
    .find((e) => e.type === 'EnrollmentEnded' && e.data.enrollment_id === ref.enrollment_id);
  if (ended?.type === 'EnrollmentEnded') return ended.data.reason;
  if (facts.status !== 'active') return null;
  const plan = await deps.store.readSubject('SCHEDULER', subjects.plan(event.agent_id, ref.plan_id));
  const current = plan.events
    .map((e) => e.event)
    .filter((e) => e.type === 'PlanCreated' || e.type === 'PlanChanged')
    .at(-1);
  const stopStages: readonly string[] =
    current?.type === 'PlanCreated' || current?.type === 'PlanChanged' ? current.data.stop_stages : STOP_STAGES;
  return stopStages.includes(facts.stage) ? `stage_${facts.stage}` : null;
}

const agents = new Map<string, { at: number; address: Address | null }>();
async function agentAddress(deps: MailerDeps, agentId: string): Promise<Address | null> {
  const hit = agents.get(agentId);
  if (hit && Date.now() - hit.at < 60_000) return hit.address;
  const { events } = await deps.store.readSubject('CRM', subjects.agent(agentId));
  const reg = events.find((e) => e.event.type === 'AgentRegistered')?.event;
  const address = reg?.type === 'AgentRegistered' ? { email: reg.data.email, name: reg.data.name } : null;
  agents.set(agentId, { at: Date.now(), address });
  return address;
}
