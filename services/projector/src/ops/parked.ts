import type { Envelope, StreamName } from '@realtoros/contracts';
import { type Db, sql } from '@realtoros/db';
import { decodeEvent } from '@realtoros/messaging';
import { applyEvent, lockCheckpoint } from '../batch.ts';
import { isTransient, reasonOf } from '../poison.ts';
import type { Projection } from '../projection.ts';

/** One aggregate (subject) with parked events: the first failed, the rest wait behind it. */
export type ParkedAggregate = {
  stream: StreamName;
  subject: string;
  agentId: string | null;
  firstSeq: number;
  count: number;
  reason: string;
  since: Date;
};

export async function listParked(db: Db): Promise<ParkedAggregate[]> {
  const rows = await db
    .selectFrom('projection_parked')
    .select((eb) => [
      'stream',
      'subject',
      sql<string | null>`max(agent_id::text)`.as('agent_id'),
      eb.fn.min<number>('seq').as('first_seq'),
      eb.fn.countAll<number>().as('n'),
      eb.fn.min<Date>('parked_at').as('since'),
    ])
    .groupBy(['stream', 'subject'])
    .orderBy('since')
    .orderBy('subject')
    .execute();
  // The head's reason: the later ones only say what they wait behind.
  const heads = rows.length
    ? await db
        .selectFrom('projection_parked')
        .select(['stream', 'seq', 'reason'])
        .where((eb) => eb.or(rows.map((r) => eb.and([eb('stream', '=', r.stream), eb('seq', '=', Number(r.first_seq))]))))
        .execute()
    : [];
  const reasons = new Map(heads.map((h) => [`${h.stream}#${h.seq}`, h.reason]));
  return rows.map((r) => ({
    stream: r.stream as StreamName,
    subject: r.subject,
    agentId: r.agent_id,
    firstSeq: Number(r.first_seq),
    count: Number(r.n),
    reason: reasons.get(`${r.stream}#${r.first_seq}`) ?? '',
    since: r.since,
  }));
}

export type RedriveOutcome =
  | { stream: StreamName; subject: string; ok: true; events: { event: Envelope; seq: number }[] }
  | { stream: StreamName; subject: string; ok: false; seq: number; reason: string; remaining: number };

/**
 * Re-applies one aggregate's parked events with the current code, in sequence order, in one
 * transaction that first locks the stream's checkpoint (so the live projector, which parks
 * later events of this subject behind these, waits and then sees them gone). All apply and
 * leave the table, or none does and the one that failed keeps the new reason.
 */
export async function redriveSubject(
  db: Db,
  projections: readonly Projection[],
  stream: StreamName,
  subject: string,
): Promise<RedriveOutcome> {
  let failed: { seq: number; err: unknown } | null = null;
  const events: { event: Envelope; seq: number }[] = [];
  try {
    await db.transaction().execute(async (trx) => {
      await lockCheckpoint(trx, stream);
      const rows = await trx
        .selectFrom('projection_parked')
        .select(['seq', 'raw'])
        .where('stream', '=', stream)
        .where('subject', '=', subject)
        .orderBy('seq')
        .forUpdate()
        .execute();
      for (const r of rows) {
        const seq = Number(r.seq);
        try {
          const event = decodeEvent(r.raw);
          await applyEvent(trx, projections, event, stream, seq);
          events.push({ event, seq });
        } catch (err) {
          failed = { seq, err };
          throw err;
        }
      }
      await trx
        .deleteFrom('projection_parked')
        .where('stream', '=', stream)
        .where('subject', '=', subject)
        .where('seq', '<=', rows.at(-1)?.seq ?? 0)
        .execute();
    });
    return { stream, subject, ok: true, events };
  } catch (err) {
    const f = failed as { seq: number; err: unknown } | null;
    if (!f || isTransient(f.err)) throw err;
    const reason = reasonOf(f.err);
    await db
      .updateTable('projection_parked')
      .set({ reason, behind_seq: null })
      .where('stream', '=', stream)
      .where('seq', '=', f.seq)
      .execute();
    const remaining = await db
      .selectFrom('projection_parked')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('stream', '=', stream)
      .where('subject', '=', subject)
      .executeTakeFirstOrThrow();
    return { stream, subject, ok: false, seq: f.seq, reason, remaining: Number(remaining.n) };
  }
}

/** The aggregates to redrive: one subject (in whichever stream holds it), or all of them. */
export async function parkedSubjects(db: Db, subject: string | null): Promise<{ stream: StreamName; subject: string }[]> {
  let q = db.selectFrom('projection_parked').select(['stream', 'subject']).distinct();
  if (subject !== null) q = q.where('subject', '=', subject);
  const rows = await q.orderBy('stream').orderBy('subject').execute();
  return rows.map((r) => ({ stream: r.stream as StreamName, subject: r.subject }));
}

/** Drops an aggregate's parked events. They stay in their stream and in dead letters. */
export async function discardSubject(db: Db, subject: string): Promise<number> {
  const r = await db.deleteFrom('projection_parked').where('subject', '=', subject).executeTakeFirst();
  return Number(r.numDeletedRows);
}
