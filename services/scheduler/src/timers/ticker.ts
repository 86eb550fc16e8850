import { randomUUID } from 'node:crypto';
import type { ConsumerMessages, JetStreamClient, JetStreamManager, JsMsg } from '@nats-io/jetstream';
import type { KV } from '@nats-io/kv';
import { headers } from '@nats-io/transport-node';
import { DomainError, deterministicId, PoisonMessageError } from '@realtoros/messaging';
import type { Logger } from '@realtoros/observability';
import type { TaskCommand } from '../task/decide.ts';
import type { TaskStore } from '../task/task-store.ts';
import { capDay, capHoldCommand, fireCheck, pauseHoldCommand } from './fire-decision.ts';
import type { FireGate } from './fire-gate.ts';
import { MinHeap } from './heap.ts';
import type { Lease } from './lease.ts';
import { decodeTimer, endOf, minuteOf, minuteOfSubject, publishTimer, TIMER_STREAM, type Timer, timerSubject } from './timer-stream.ts';

export type TickerOptions = {
  js: JetStreamClient;
  jsm: JetStreamManager;
  /** Holds the cursor (`cursor` = the last minute whose timers have all been handled). */
  stateKv: KV;
  lease: Lease;
  tasks: TaskStore;
  log: Logger;
  horizonMs: number;
  /** Timers checked and fired at once (default 128). */
  concurrency?: number;
  /** How early a minute's timers are loaded into memory (default 60 s: the current and the next minute). */
  lookaheadMs?: number;
  /** How long after a minute ends it stays open for late-published timers (default 2 s). */
  graceMs?: number;
  /** Finished minutes re-checked for stragglers every few seconds (default 10). */
  sweepBackMinutes?: number;
  /** Minutes loaded at once while catching up after downtime (default 16). */
  maxOpen?: number;
  /** Every minute still in the stream re-checked this often (default 10 min). */
  deepSweepMs?: number;
  /**
   * A minute reader is stalled when the server holds a message of its minute that it has not
   * delivered and it has delivered nothing for this long (default 10 s); it is then replaced
   * by a reader starting after the last message it delivered.
   */
  stallMs?: number;
  /**
   * The checks a planned step passes at fire time: its enrolment not paused, and — for an
   * automated email — one of the agent's daily sends reserved (fire-decision.ts). Without a
   * gate every timer fires unchecked (the timer specs and benchmarks of the bare mechanism).
   */
  gate?: FireGate;
  /** An enrolment paused until a time falls due (a resume timer): resume it, if it still waits for that. */
  resume?: (timer: Timer & { resume_client_id: string }) => Promise<void>;
};

export type TickerStats = {
  fired: number;
  stale: number;
  /** Held at fire time: the daily cap was reached / the enrolment was paused. */
  capped: number;
  paused: number;
  /** Enrolments paused until a time that came (resume timers handled). */
  resumed: number;
  hopped: number;
  retries: number;
  /** Minute readers found stalled and replaced (a reader that stopped delivering). */
  readersReplaced: number;
  openMinutes: number;
  queued: number;
  cursor: number | null;
  leader: boolean;
};

const END_HEADER = 'Timer-End';
const CURSOR_KEY = 'cursor';

type OpenMinute = {
  minute: number;
  subject: string;
  /** On the cursor's chain (finishing it advances the cursor), or a straggler re-check. */
  chain: boolean;
  empty: boolean;
  messages: ConsumerMessages | null;
  /** Which reader is current: a replaced (or closed) reader's late deliveries are dropped. */
  reader: number;
  /** The stream sequence of the last message of this minute delivered (a replacement starts after it). */
  lastSeq: number;
  /** When the current reader last delivered a message (or started). */
  deliveredAt: number;
  /** Since when the server has been known to hold a message of this minute not yet delivered. */
  behindSince: number | null;
  /**
   * The end marker: its id is chosen before it is published, so a reader that delivers it
   * before the publish's ack is back (a busy event loop reads both in one chunk) still
   * recognises it; its sequence comes from whichever of the two arrives first.
   */
  marker: { id: string; seq: number | null } | null;
  markerSeen: boolean;
  /** Timers of this minute queued or being fired. */
  outstanding: number;
};
type Entry = {
  timer: Timer;
  om: OpenMinute;
  dueAt: number;
  attempts: number;
  hop: boolean;
  /** A daily send this timer reserved (the agent's local day) and has not used or given back. */
  reserved?: string | null;
  /** A TaskDue append of this timer failed with an unknown outcome (it may be stored). */
  uncertain?: boolean;
};
type Session = {
  cursor: number;
  savedCursor: number;
  open: Map<number, OpenMinute>;
  heap: MinHeap<Entry>;
  inFlight: number;
  lastSweep: number;
  lastStallCheck: number;
  lastDeepSweep: number;
  alive: boolean;
};

/**
 * The single ticker (it runs only while this replica holds the lease). For each minute from
 * the cursor up to now + lookahead it reads `timers.<minute>` with an ordered consumer into
 * an in-memory heap (so memory follows the timers due in the next minute or two, not all of
 * them), fires each timer at its millisecond — TaskDue appended with optimistic concurrency
 * on the task subject, deterministic id per (task, version) — and, once the minute is over
 * and every timer in it handled, purges the subject and advances the cursor.
 *
 * A minute is known to be complete by an end marker the ticker publishes into it after the
 * minute (plus a grace period) ended: when the consumer delivers the marker, everything
 * published before it has been seen. The purge stops at the marker, so a timer published
 * later is never deleted unseen; finished minutes are re-checked for such stragglers.
 * After a crash the cursor's next minute is simply redone: firing is idempotent.
 */
export function startTicker(opts: TickerOptions): { stop(): Promise<void>; stats(): TickerStats } {
  const { js, jsm, stateKv, lease, tasks, log } = opts;
  const concurrency = opts.concurrency ?? 128;
  const lookaheadMs = opts.lookaheadMs ?? 60_000;
  const graceMs = opts.graceMs ?? 2000;
  const sweepBack = opts.sweepBackMinutes ?? 10;
  const maxOpen = opts.maxOpen ?? 16;
  const deepSweepMs = opts.deepSweepMs ?? 600_000;
  const stallMs = opts.stallMs ?? 10_000;
  const counters = { fired: 0, stale: 0, capped: 0, paused: 0, resumed: 0, hopped: 0, retries: 0, readersReplaced: 0 };

  let stopped = false;
  let session: Session | null = null;
  let wake: (() => void) | null = null;
  const poke = () => {
    const w = wake;
    wake = null;
    w?.();
  };
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        wake = null;
        resolve();
      }, ms);
      wake = () => {
        clearTimeout(t);
        resolve();
      };
    });

  async function readCursor(): Promise<number> {
    const e = await stateKv.get(CURSOR_KEY);
    if (e && e.operation === 'PUT') return Number(e.string());
    // First start on this NATS: begin before the earliest minute holding timers.
    const minutes = await listMinutes();
    const first = Math.min(minuteOf(Date.now()), ...minutes) - 1;
    await stateKv.create(CURSOR_KEY, String(first)).catch(() => {});
    const again = await stateKv.get(CURSOR_KEY);
    return again && again.operation === 'PUT' ? Number(again.string()) : first;
  }

  /** Minutes that hold messages: one entry per minute subject, bounded by the horizon, not by the timers. */
  async function listMinutes(): Promise<number[]> {
    const si = await jsm.streams.info(TIMER_STREAM, { subjects_filter: 'timers.*' });
    return Object.keys(si.state.subjects ?? {})
      .map(minuteOfSubject)
      .filter((m): m is number => m !== null);
  }

  async function openMinute(s: Session, minute: number, chain: boolean, now: number): Promise<void> {
    const subject = timerSubject(minute);
    const om: OpenMinute = {
      minute,
      subject,
      chain,
      empty: false,
      messages: null,
      reader: 0,
      lastSeq: 0,
      deliveredAt: now,
      behindSince: null,
      marker: null,
      markerSeen: false,
      outstanding: 0,
    };
    if (now >= endOf(minute) + graceMs) {
      // A past minute: an empty one needs no consumer (stragglers are caught by the sweep).
      const last = await jsm.direct.getMessage(TIMER_STREAM, { last_by_subj: subject });
      if (!last) {
        om.empty = true;
        s.open.set(minute, om);
        return;
      }
    }
    if (!(await startReader(s, om))) return;
    s.open.set(minute, om);
  }

  /**
   * Reads the minute with an ordered consumer from the message after the last one delivered
   * (the first message, for a new minute) into the heap. False when the session ended meanwhile.
   */
  async function startReader(s: Session, om: OpenMinute): Promise<boolean> {
    const consumer = await js.consumers.get(TIMER_STREAM, {
      filter_subjects: om.subject,
      opt_start_seq: om.lastSeq + 1,
      inactive_threshold: 60_000,
    });
    const messages = await consumer.consume({ max_messages: 2000 });
    if (!s.alive) {
      // The lease was lost while we were opening it.
      await messages.close().catch(() => {});
      return false;
    }
    const reader = ++om.reader;
    om.messages = messages;
    om.deliveredAt = Date.now();
    om.behindSince = null;
    void (async () => {
      for await (const msg of messages) {
        if (!s.alive || om.reader !== reader) break;
        onMessage(s, om, msg);
      }
    })().catch((err) => log.warn({ err, minute: om.minute }, 'timer minute reader ended'));
    return true;
  }

  /** Stops the minute's reader; whatever it still delivers is dropped. */
  async function closeReader(om: OpenMinute): Promise<void> {
    om.reader++;
    const m = om.messages;
    om.messages = null;
    await m?.close().catch(() => {});
  }

  /**
   * Replaces readers that stopped delivering: the server holds a message of their minute past
   * the last one delivered, and nothing has been delivered for `stallMs` since that was first
   * seen. A reader working through a backlog keeps delivering, so it is never taken for stalled;
   * a replacement starts after the last message delivered, so no timer is read twice or skipped.
   */
  async function replaceStalledReaders(s: Session, now: number): Promise<void> {
    // A reader that could not be started again (NATS was away) is started now.
    for (const om of [...s.open.values()]) {
      if (om.empty || om.messages !== null || s.open.get(om.minute) !== om) continue;
      if (!(await startReader(s, om))) return;
    }
    const reading = [...s.open.values()].filter((om) => om.messages !== null);
    const lasts = await Promise.all(
      reading.map((om) => jsm.direct.getMessage(TIMER_STREAM, { last_by_subj: om.subject }).then((m) => m?.seq ?? 0)),
    );
    for (const [i, om] of reading.entries()) {
      if ((lasts[i] ?? 0) <= om.lastSeq) {
        om.behindSince = null;
        continue;
      }
      om.behindSince ??= now;
      if (now - Math.max(om.behindSince, om.deliveredAt) < stallMs || s.open.get(om.minute) !== om || !om.messages) continue;
      log.warn(
        { minute: om.minute, delivered_seq: om.lastSeq, stored_seq: lasts[i], silent_ms: now - om.deliveredAt },
        'timer minute reader stalled; replacing it',
      );
      counters.readersReplaced++;
      await closeReader(om);
      if (!(await startReader(s, om))) return;
    }
  }

  function onMessage(s: Session, om: OpenMinute, msg: JsMsg): void {
    if (msg.seq <= om.lastSeq) return; // never a message twice, whichever reader brings it
    om.lastSeq = msg.seq;
    om.deliveredAt = Date.now();
    const end = msg.headers?.get(END_HEADER);
    if (end) {
      if (om.marker?.id === end) {
        om.marker.seq = msg.seq;
        om.markerSeen = true;
        poke();
      }
      return;
    }
    const timer = decodeTimer(msg.data);
    if (!timer) {
      log.error({ subject: msg.subject, seq: msg.seq }, 'ignoring malformed timer');
      return;
    }
    // Parked ahead of its minute (a far-future timer at the horizon): move it forward.
    const hop = minuteOf(timer.at) > om.minute;
    s.heap.push({ timer, om, dueAt: hop ? 0 : timer.at, attempts: 0, hop });
    om.outstanding++;
    armFiring(s);
  }

  /**
   * Firing runs on a timer of its own, set for the earliest entry in the heap, not on the
   * step loop: a step waits on NATS round trips (opening minutes, markers, purges, sweeps),
   * which under load take long enough to make every timer due meanwhile late.
   */
  let fireTimer: NodeJS.Timeout | null = null;
  let fireAt = Number.POSITIVE_INFINITY;
  function armFiring(s: Session): void {
    if (s.inFlight >= concurrency) return; // a finishing fire dispatches the next
    const next = s.heap.peek();
    if (!next || next.dueAt >= fireAt) return;
    if (fireTimer) clearTimeout(fireTimer);
    fireAt = next.dueAt;
    fireTimer = setTimeout(
      () => {
        fireTimer = null;
        fireAt = Number.POSITIVE_INFINITY;
        if (session !== s || !s.alive) return;
        dispatch(s, Date.now());
        armFiring(s);
      },
      Math.max(0, next.dueAt - Date.now()),
    );
  }
  function disarmFiring(): void {
    if (fireTimer) clearTimeout(fireTimer);
    fireTimer = null;
    fireAt = Number.POSITIVE_INFINITY;
  }

  function dispatch(s: Session, now: number): void {
    while (s.inFlight < concurrency) {
      const e = s.heap.peek();
      if (!e || e.dueAt > now) return;
      s.heap.pop();
      s.inFlight++;
      handleEntry(e)
        .then(
          () => {
            e.om.outstanding--;
          },
          (err: Error) => {
            if (err instanceof PoisonMessageError || err instanceof DomainError) {
              log.error({ err, task_id: e.timer.task_id }, 'cannot fire this task; giving up on its timer');
              e.om.outstanding--;
              return;
            }
            counters.retries++;
            e.attempts++;
            if (e.attempts === 1 || e.attempts % 10 === 0)
              log.warn({ err: err.message, task_id: e.timer.task_id, attempts: e.attempts }, 'firing failed; will retry');
            e.dueAt = Date.now() + Math.min(5000, 100 * 2 ** Math.min(e.attempts, 6));
            s.heap.push(e);
          },
        )
        .finally(() => {
          s.inFlight--;
          if (!s.alive) return;
          dispatch(s, Date.now());
          armFiring(s);
          if (e.om.outstanding === 0) poke(); // its minute may be finished now
        });
    }
  }

  async function handleEntry(e: Entry): Promise<void> {
    const t = e.timer;
    if (e.hop) {
      await publishTimer(js, t, { now: Date.now(), horizonMs: opts.horizonMs, notBefore: e.om.minute + 1 });
      counters.hopped++;
      return;
    }
    if (t.resume_client_id !== undefined) {
      await opts.resume?.({ ...t, resume_client_id: t.resume_client_id });
      counters.resumed++;
      return;
    }
    const key = `timer:${t.task_id}:${t.version}`;
    const ref = { agentId: t.agent_id, aggregateId: t.task_id };
    const now = new Date();
    const nowIso = now.toISOString();
    const causedBy = { correlationId: key, causationId: key, occurredAt: now };
    const gate = opts.gate;
    if (gate) {
      const check = fireCheck((await tasks.load(ref)).state, t.version, nowIso);
      if (check.kind === 'stale') {
        await giveBack(gate, e);
        counters.stale++;
        return;
      }
      // One hold per (task, version), whichever ticker or retry decides it; counted when it is ours.
      const hold = async (command: TaskCommand, counter: 'capped' | 'paused') => {
        const r = await tasks.handle(ref, command, {
          ...causedBy,
          eventId: () => deterministicId('TaskHeld', t.task_id, String(t.version)),
        });
        counters[r.events.length > 0 ? counter : 'stale']++;
      };
      if (check.pause && (await gate.enrollmentPaused(t.agent_id, check.pause.clientId, check.pause.enrollmentId))) {
        await giveBack(gate, e);
        await hold(pauseHoldCommand(check.task), 'paused');
        return;
      }
      if (check.cap) {
        const settings = await gate.settings.get(t.agent_id);
        const day = capDay(settings, nowIso);
        if (e.reserved && e.reserved !== day) await giveBack(gate, e); // retried across midnight
        if (!e.reserved && (await gate.sends.reserve(t.agent_id, day, settings.daily_cap))) e.reserved = day;
        if (!e.reserved) {
          await hold(capHoldCommand(check.task, settings, nowIso), 'capped');
          return;
        }
      }
    }
    let result: Awaited<ReturnType<TaskStore['handle']>>;
    try {
      result = await tasks.handle(
        ref,
        { type: 'MarkTaskDue', data: { version: t.version }, now: nowIso },
        { ...causedBy, eventId: () => deterministicId('TaskDue', t.task_id, String(t.version)) },
      );
    } catch (err) {
      // It may have been stored: keep the reservation (spent, if so) and never give it back.
      e.uncertain = true;
      throw err;
    }
    if (result.events.length > 0) {
      counters.fired++;
      e.reserved = null; // spent on this email
    } else {
      // Someone else fired it, or it moved on: this timer sent nothing.
      if (gate) await giveBack(gate, e);
      counters.stale++;
    }
  }

  /**
   * Returns a reservation that provably sent nothing. After an append with an unknown outcome
   * the TaskDue may be ours, so it is kept: a lost reservation only ever sends fewer.
   */
  async function giveBack(gate: FireGate, e: Entry): Promise<void> {
    const day = e.reserved;
    e.reserved = null;
    if (!day || e.uncertain) return;
    await gate.sends
      .release(e.timer.agent_id, day)
      .catch((err: Error) => log.warn({ err: err.message }, 'could not give back a daily send'));
  }

  /** True when the minute is over, every timer in it handled, and its subject purged. */
  async function tryFinish(om: OpenMinute, now: number): Promise<boolean> {
    if (now < endOf(om.minute) + graceMs) return false;
    if (om.empty) return true;
    if (!om.marker) {
      const marker: { id: string; seq: number | null } = { id: randomUUID(), seq: null };
      const h = headers();
      h.set(END_HEADER, marker.id);
      om.marker = marker;
      try {
        const ack = await js.publish(om.subject, new Uint8Array(0), { headers: h });
        marker.seq ??= ack.seq;
      } catch (err) {
        // Unknown whether it is stored: publish another (a stray marker is ignored; the purge covers it).
        if (!om.markerSeen) om.marker = null;
        throw err;
      }
      return false;
    }
    // A reader that never delivers its marker is replaced (replaceStalledReaders).
    if (!om.markerSeen || om.outstanding > 0 || om.marker.seq === null) return false;
    await closeReader(om);
    await jsm.streams.purge(TIMER_STREAM, { filter: om.subject, seq: om.marker.seq + 1 });
    return true;
  }

  async function step(s: Session): Promise<boolean> {
    const now = Date.now();
    let progressed = false;
    // 1. Load the minutes from the cursor up to now + lookahead (a bounded number at once).
    const until = minuteOf(now + lookaheadMs);
    let chainOpen = [...s.open.values()].filter((o) => o.chain).length;
    for (let m = s.cursor + 1; m <= until && chainOpen < maxOpen; m++) {
      if (s.open.has(m)) continue;
      await openMinute(s, m, true, now);
      chainOpen++;
    }
    // 2. Fire what is due (firing also runs on its own timer: armFiring).
    dispatch(s, now);
    armFiring(s);
    // 3. Finish minutes: stragglers in any order, the chain in order (advancing the cursor).
    for (const om of [...s.open.values()]) {
      if (om.chain) continue;
      if (await tryFinish(om, now)) s.open.delete(om.minute);
    }
    for (;;) {
      const om = s.open.get(s.cursor + 1);
      if (!om || !(await tryFinish(om, now))) break;
      s.open.delete(om.minute);
      s.cursor = om.minute;
      progressed = true;
    }
    if (s.cursor !== s.savedCursor) {
      await stateKv.put(CURSOR_KEY, String(s.cursor));
      s.savedCursor = s.cursor;
    }
    // 4. Replace readers that stopped delivering.
    if (now - s.lastStallCheck >= Math.min(5000, stallMs / 2)) {
      s.lastStallCheck = now;
      await replaceStalledReaders(s, now);
    }
    // 5. Re-check finished minutes for timers published after they were finished.
    if (now - s.lastSweep >= 5000) {
      s.lastSweep = now;
      const behind: number[] = [];
      for (let m = s.cursor - sweepBack; m <= s.cursor; m++) if (!s.open.has(m)) behind.push(m);
      const found = await Promise.all(behind.map((m) => jsm.direct.getMessage(TIMER_STREAM, { last_by_subj: timerSubject(m) })));
      for (const [i, m] of behind.entries()) {
        if (!found[i] || s.open.has(m)) continue;
        log.warn({ minute: m }, 'timers published into a finished minute; firing them now');
        await openMinute(s, m, false, now);
      }
    }
    if (now - s.lastDeepSweep >= deepSweepMs) {
      s.lastDeepSweep = now;
      for (const m of await listMinutes()) {
        if (m <= s.cursor && !s.open.has(m)) {
          log.warn({ minute: m }, 'timers left in an old minute; firing them now');
          await openMinute(s, m, false, now);
        }
      }
    }
    return progressed;
  }

  function teardown(): void {
    const s = session;
    session = null;
    if (!s) return;
    s.alive = false;
    disarmFiring();
    for (const om of s.open.values()) void closeReader(om);
    s.open.clear();
    s.heap.clear();
  }

  let statsTimer: NodeJS.Timeout | null = null;
  const stats = (): TickerStats => ({
    ...counters,
    openMinutes: session?.open.size ?? 0,
    queued: session?.heap.size ?? 0,
    cursor: session?.cursor ?? null,
    leader: session !== null,
  });

  const loop = (async () => {
    statsTimer = setInterval(() => {
      if (session) log.info(stats(), 'ticker');
    }, 60_000);
    statsTimer.unref();
    while (!stopped) {
      if (!lease.held()) {
        teardown();
        await Promise.race([lease.acquired(), sleep(1000)]);
        continue;
      }
      try {
        if (!session) {
          const cursor = await readCursor();
          const now = Date.now();
          session = {
            cursor,
            savedCursor: cursor,
            open: new Map(),
            heap: new MinHeap((e) => e.dueAt),
            inFlight: 0,
            lastSweep: 0,
            lastStallCheck: now,
            lastDeepSweep: now,
            alive: true,
          };
          log.info({ cursor, behind_minutes: minuteOf(now) - cursor - 1 }, 'ticker started');
          void lease.lost().then(() => poke());
        }
        const progressed = await step(session);
        if (progressed) continue;
        // Housekeeping only (firing has its own timer): woken early by a marker or a finished minute.
        await sleep(250);
      } catch (err) {
        log.warn({ err }, 'ticker step failed; retrying');
        await sleep(500);
      }
    }
  })();

  return {
    stats,
    async stop() {
      stopped = true;
      poke();
      if (statsTimer) clearInterval(statsTimer);
      await loop;
      teardown();
    },
  };
}
