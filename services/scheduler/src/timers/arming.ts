import { AckPolicy, DeliverPolicy, type JetStreamClient, type JetStreamManager, type JsMsg } from '@nats-io/jetstream';
import type { Envelope } from '@realtoros/contracts';
import { decodeEvent, ensureConsumer, HISTORY_HEADER, recordDeadLetter } from '@realtoros/messaging';
import type { Logger } from '@realtoros/observability';
import { publishTimer, type Timer } from './timer-stream.ts';

export const ARMING_DURABLE = 'scheduler-timer-arming';

/**
 * The timer an event arms, or null: a task's new or moved time, and a daily-cap hold
 * (`TaskHeld.until`, the next day's slot). A pause hold (`until` null) arms nothing: its
 * resume reschedules the task, which arms it. An enrolment paused until a time (an
 * auto-reply's pause) arms its own resume.
 */
export function timerOf(event: Envelope): Timer | null {
  const at = (version: number, when: string): Timer => ({
    agent_id: event.agent_id,
    task_id: event.aggregate_id,
    version,
    at: Date.parse(when),
  });
  if (event.type === 'TaskScheduled' || event.type === 'TaskRescheduled') return at(event.data.version, event.data.scheduled_for);
  if (event.type === 'TaskHeld' && event.data.until !== null) return at(event.data.version, event.data.until);
  if (event.type === 'EnrollmentPaused' && event.data.until !== null)
    return {
      agent_id: event.agent_id,
      task_id: event.data.enrollment_id,
      version: 0,
      at: Date.parse(event.data.until),
      resume_client_id: event.data.client_id,
    };
  return null;
}

/**
 * Arms timers from the task events themselves: every TaskScheduled / TaskRescheduled (and
 * TaskHeld with an `until`) in SCHEDULER parks a timer for its (task, version) in the timer
 * stream, and the message is acked only once the timer is stored. So a crash between "task
 * scheduled" and "timer parked" can't lose a timer: the event is redelivered and parks it again (same message
 * id). Order doesn't matter — each timer is checked against the task when it fires — so
 * messages are armed concurrently.
 */
export async function startTimerArming(opts: {
  js: JetStreamClient;
  jsm: JetStreamManager;
  log: Logger;
  horizonMs: number;
  concurrency?: number;
}): Promise<{ stop(): Promise<void> }> {
  const log = opts.log.child({ consumer: ARMING_DURABLE });
  const concurrency = opts.concurrency ?? 256;
  await ensureConsumer(opts.jsm, 'SCHEDULER', {
    durable_name: ARMING_DURABLE,
    ack_policy: AckPolicy.Explicit,
    ack_wait: 30_000_000_000,
    max_deliver: -1, // a timer is never given up on: parking fails only while NATS itself is in trouble
    deliver_policy: DeliverPolicy.All,
    max_ack_pending: 20_000,
    filter_subject: 'sched.>',
  });
  const consumer = await opts.js.consumers.get('SCHEDULER', ARMING_DURABLE);
  const messages = await consumer.consume({ max_messages: 1000 });

  let inFlight = 0;
  let freed: (() => void) | null = null;
  const idle = new Set<Promise<void>>();

  async function arm(msg: JsMsg): Promise<void> {
    if (msg.headers?.has(HISTORY_HEADER)) {
      msg.ack(); // recorded history (AppendOptions.history): its times are past, nothing is to fire
      return;
    }
    let event: ReturnType<typeof decodeEvent>;
    try {
      event = decodeEvent(msg.data);
    } catch (err) {
      log.error({ seq: msg.seq, err: (err as Error).message }, 'dead-lettering undecodable task event');
      await recordDeadLetter(opts.js, ARMING_DURABLE, msg, (err as Error).message).then(
        () => msg.term(),
        () => msg.nak(5000),
      );
      return;
    }
    try {
      const timer = timerOf(event);
      if (timer) await publishTimer(opts.js, timer, { now: Date.now(), horizonMs: opts.horizonMs });
      msg.ack();
    } catch (err) {
      const n = msg.info.deliveryCount;
      log.warn({ err, seq: msg.seq, delivery: n }, 'could not park timer; will retry');
      msg.nak(Math.min(10_000, 250 * 2 ** (n - 1)));
    }
  }

  const done = (async () => {
    for await (const msg of messages) {
      while (inFlight >= concurrency) await new Promise<void>((r) => (freed = r));
      inFlight++;
      const p = arm(msg).finally(() => {
        inFlight--;
        idle.delete(p);
        const f = freed;
        freed = null;
        f?.();
      });
      idle.add(p);
    }
  })();

  return {
    async stop() {
      await messages.close();
      await done.catch(() => {});
      await Promise.allSettled([...idle]);
    },
  };
}
