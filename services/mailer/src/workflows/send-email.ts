import {
  automationStop,
  type ClientFacts,
  clientStanding,
  DEFAULT_AGENT_SETTINGS,
  type Envelope,
  evolveAgentSettings,
  foldClientFacts,
  STOP_STAGES,
  subjects,
} from '@realtoros/contracts';
import { decodeEvent, type EventStore, isWrongLastSequence, storableText } from '@realtoros/messaging';
import type { Logger } from '@realtoros/observability';
import { emailHandler } from '../email/handler.ts';
import type { HistoryReader } from '@realtoros/messaging';
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
  /** Client histories in the fewest reads (`historyReader`). */
  history: HistoryReader;
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
 *
 * `firstDelivery` (JetStream's first delivery of the message): the record is not read first —
 * only a replayed stream can have one for a first delivery, and then `create` refuses and the
 * record is read after all. A redelivery reads it first, as it may hold an outcome.
 */
export async function onEmailGenerated(
  deps: MailerDeps,
  event: Envelope<'EmailGenerated'>,
  traceparent: string | null,
  opts: { firstDelivery?: boolean } = {},
): Promise<void> {
  const now = deps.now ?? (() => new Date());
  const emailId = event.aggregate_id;
  const d = event.data;
  if (!opts.firstDelivery) {
    const existing = await deps.state.attempts.get(emailId);
    if (live(existing)) {
      const rec = existing.json<AttemptRecord>();
      // The agent had it resent: the first round's outcome is recorded (a resend needs one) and the
      // record now belongs to the resend, which must not be read as this round's.
      if (rec.resend_id) return;
      await indexMessageId(deps.state, emailId, rec);
      return recordOutcome(deps, event, null, rec, existing.revision, traceparent);
    }
  }

  const at = now().toISOString();
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
    updated_at: at,
  };

  const suppressed = await suppressionReason(deps, event);
  // Not suppressed: the record is created saying the first call is being made (what the first
  // try's own update used to write a round trip later) — a crash from here on leaves `sending`.
  const start: AttemptRecord = suppressed
    ? { ...base, state: 'suppressed', reason: suppressed }
    : { ...base, attempts: 1, attempted_at: at };
  const revision = await createAttempt(deps, emailId, start);
  if (revision === null) return onEmailGenerated(deps, event, traceparent); // a record exists (another delivery, a replay): read it
  const done = suppressed ? { rec: start, revision } : await sendAttempts(deps, event, start, revision, { firstCallRecorded: true });
  // This delivery made the record, so the round had no outcome a moment ago: the outcome is
  // appended expecting the email's MAILER subject empty (anything there → read and decided).
  return recordOutcome(deps, event, null, done.rec, done.revision, traceparent, { expectNew: true });
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
  opts: { expectNew?: boolean } = {},
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
      ...(opts.expectNew ? { expectNew: true } : {}),
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
 * `firstCallRecorded`: the record at `revision` already says the first call is being made.
 */
export async function sendAttempts(
  deps: MailerDeps,
  event: Envelope<'EmailGenerated'>,
  start: AttemptRecord,
  startRevision: number,
  opts: { firstCallRecorded?: boolean } = {},
): Promise<{ rec: AttemptRecord; revision: number }> {
  const now = deps.now ?? (() => new Date());
  const emailId = event.aggregate_id;
  const sender = await agentSender(deps, event.agent_id);
  // The agent's own postal address when they gave one (they are the sender), else the service's.
  const message = buildMessage(event, sender.address, {
    ...deps.message,
    postalAddress: sender.postalAddress ?? deps.message.postalAddress,
  });
  const sleep = deps.sleep ?? ((ms: number) => new Promise((r) => setTimeout(r, ms)));
  let revision = startRevision;
  let rec = start;

  for (let attempt = 1; ; attempt++) {
    // Written before each call: a crash during it leaves `sending` behind, never a resend.
    if (attempt > 1 || !opts.firstCallRecorded) {
      rec = { ...rec, attempts: attempt, attempted_at: now().toISOString(), updated_at: now().toISOString() };
      revision = await deps.state.attempts.update(emailId, toBytes(rec), revision);
    }
    try {
      const { messageId } = await deps.sender.send(message);
      rec = { ...rec, state: 'sent', message_id: messageId, sent_at: now().toISOString(), updated_at: now().toISOString() };
      // The one write that must not be lost to a NATS blip: without it a redelivery could
      // only say "unknown" about an email that did go out. The message id's index is
      // written beside it (a redelivery writes it again should it be lost).
      const sentRevision = revision;
      const sent = rec;
      [revision] = await Promise.all([
        persistently(() => deps.state.attempts.update(emailId, toBytes(sent), sentRevision)),
        persistently(() => indexMessageId(deps.state, emailId, sent)),
      ]);
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
 * The three are read at once (they don't depend on each other); the answer keeps that order.
 */
export async function suppressionReason(deps: MailerDeps, event: Envelope<'EmailGenerated'>): Promise<string | null> {
  const [clientEvents, automated, listed] = await Promise.all([
    deps.history.read('CRM', subjects.client(event.agent_id, event.data.client_id)),
    automatedStep(deps, event),
    deps.state.suppressions.get(suppressionKey(event.agent_id, event.data.to_email)),
  ]);
  const facts = foldClientFacts(clientEvents);
  const standing = clientStanding(facts);
  if (standing === 'deleted') return 'client_deleted';
  if (standing === 'unsubscribed') return 'unsubscribed';
  const stop = automated ? automationStopReason(automated, facts) : null;
  if (stop) return stop;
  const s = readJson<Suppression>(listed);
  return s ? s.reason : null;
}

/** What automation's stop rules need of a planned step: its plan reference and what its enrolment and plan say now. */
type AutomatedStep = {
  ref: { plan_id: string; enrollment_id: string } | null;
  ended: string | null;
  stopStages: readonly string[];
};

/**
 * The planned step this email was written for, or null when it was not written by automation
 * — because a planned task (origin `plan`) fell due. The ai-agent names the TaskDue as the
 * EmailGenerated's cause; the task's own events say whether it was planned. Not automated:
 * the agent's "send now" (caused by their command, with or without a task) and the email of
 * a task the agent created themselves — the agent asked for those explicitly, so no rule
 * stops them (issue 8: a rule never overrides the agent's own task without saying so).
 *
 * The task's first event is read first (a task subject opens with TaskScheduled): the
 * agent's own task is told by it in one read; a planned one reads on (its TaskDue), then its
 * enrolment's and plan's events, at once.
 */
async function automatedStep(deps: MailerDeps, event: Envelope<'EmailGenerated'>): Promise<AutomatedStep | null> {
  if (!event.data.task_id || !event.causation_id) return null;
  const subject = subjects.task(event.agent_id, event.data.task_id);
  const first = await deps.store.jsm.direct.getMessage('SCHEDULER', { seq: 1, next_by_subj: subject });
  if (!first) return null;
  const opening = decodeEvent(first.data);
  if (opening.type === 'TaskScheduled' && opening.data.origin !== 'plan') return null;
  const rest = await deps.store.readSubject('SCHEDULER', subject, { after: first.seq });
  const task = [opening, ...rest.events.map((e) => e.event)];
  const scheduled = task.find((e) => e.type === 'TaskScheduled');
  if (scheduled?.type !== 'TaskScheduled' || scheduled.data.origin !== 'plan') return null;
  if (!task.some((e) => e.type === 'TaskDue' && e.id === event.causation_id)) return null;
  const ref = scheduled.data.plan ?? null;
  if (!ref) return { ref: null, ended: null, stopStages: STOP_STAGES };

  const [enrollment, plan] = await Promise.all([
    deps.store.readSubject('SCHEDULER', subjects.enrollment(event.agent_id, event.data.client_id)),
    deps.store.readSubject('SCHEDULER', subjects.plan(event.agent_id, ref.plan_id)),
  ]);
  const ended = enrollment.events
    .map((e) => e.event)
    .find((e) => e.type === 'EnrollmentEnded' && e.data.enrollment_id === ref.enrollment_id);
  const current = plan.events
    .map((e) => e.event)
    .filter((e) => e.type === 'PlanCreated' || e.type === 'PlanChanged')
    .at(-1);
  return {
    ref,
    ended: ended?.type === 'EnrollmentEnded' ? ended.data.reason : null,
    stopStages: current?.type === 'PlanCreated' || current?.type === 'PlanChanged' ? current.data.stop_stages : STOP_STAGES,
  };
}

/**
 * Why automation must not send this planned step's email, if it mustn't. A step of an
 * enrolment stops when that enrolment has ended (its reason: `replaced`, `manual`,
 * `stage_lost`…) or when the client is now in one of the plan's stop stages and the scheduler
 * has not ended the enrolment yet. A task planned before plans existed stops on lost and
 * closed, as before.
 */
function automationStopReason(step: AutomatedStep, facts: ClientFacts): string | null {
  if (!step.ref) return automationStop(facts);
  if (step.ended) return step.ended;
  if (facts.status !== 'active') return null;
  return step.stopStages.includes(facts.stage) ? `stage_${facts.stage}` : null;
}

type AgentSender = { address: Address | null; postalAddress: string | null };
const agents = new Map<string, { at: number; sender: AgentSender }>();
/** The agent as the sender: name and email, and the postal address of their settings (CAN-SPAM). Kept a minute. */
async function agentSender(deps: MailerDeps, agentId: string): Promise<AgentSender> {
  const hit = agents.get(agentId);
  if (hit && Date.now() - hit.at < 60_000) return hit.sender;
  const { events } = await deps.store.readSubject('CRM', subjects.agent(agentId));
  const reg = events.find((e) => e.event.type === 'AgentRegistered')?.event;
  const settings = events.reduce((s, e) => evolveAgentSettings(s, e.event), DEFAULT_AGENT_SETTINGS);
  // The name as the agent last set it (AgentRenamed), else as registered.
  const renamed = events.findLast((e) => e.event.type === 'AgentRenamed')?.event;
  const name = renamed?.type === 'AgentRenamed' ? renamed.data.name : reg?.type === 'AgentRegistered' ? reg.data.name : '';
  const sender = {
    address: reg?.type === 'AgentRegistered' ? { email: reg.data.email, name } : null,
    postalAddress: settings.postal_address?.trim() || null,
  };
  agents.set(agentId, { at: Date.now(), sender });
  return sender;
}
