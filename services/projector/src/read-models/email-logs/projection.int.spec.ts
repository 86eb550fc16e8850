import type { Envelope } from '@realtoros/contracts';
import { newEvent } from '@realtoros/messaging';
import { createTestDatabase, type TestDatabase } from '@realtoros/testing';
import { v7 as uuidv7 } from 'uuid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emailLogsProjection } from './projection.ts';

const agent = uuidv7();
const client = uuidv7();
const task = uuidv7();
const at = (s: number) => new Date(Date.UTC(2026, 10, 21, 12, 0, s)).toISOString();

function history(emailId: string): Envelope[] {
  const base = { agentId: agent, aggregateId: emailId, correlationId: 't', causationId: null };
  const hook = (
    type: 'EmailDelivered' | 'EmailOpened' | 'EmailClicked' | 'EmailBounced',
    event: string,
    sg: string,
    s: number,
    extra: { url?: string } = {},
  ) =>
    newEvent(type, {
      ...base,
      occurredAt: new Date(at(s)),
      data: { task_id: task, client_id: client, sg_event_id: `${emailId}-${sg}`, event, timestamp: at(s), ...extra },
    });
  return [
    newEvent('EmailGenerated', {
      ...base,
      occurredAt: new Date(at(0)),
      data: {
        task_id: task,
        client_id: client,
        followup_type: 'Day 1',
        to_email: 'maria@example.com',
        to_name: 'Maria',
        subject: 'Hello',
        body: 'Hi Maria',
        provider: 'openai',
        model: 'gpt-test',
        prompt_version: 'v1',
        fallback_reason: null,
      },
    }),
    newEvent('EmailSent', {
      ...base,
      occurredAt: new Date(at(1)),
      data: {
        task_id: task,
        client_id: client,
        to_email: 'maria@example.com',
        provider: 'sendgrid',
        message_id: 'msg-1',
        sent_at: at(1),
        attempts: 3,
      },
    }),
    hook('EmailDelivered', 'delivered', 'd1', 2),
    hook('EmailOpened', 'open', 'o1', 5),
    hook('EmailOpened', 'open', 'o2', 9),
    hook('EmailClicked', 'click', 'c1', 10, { url: 'https://example.com/listing' }),
    hook('EmailOpened', 'open', 'o1', 5), // SendGrid sent it twice
  ];
}

describe('email_logs projection (order-tolerant)', () => {
  let pg: TestDatabase;
  beforeAll(async () => {
    pg = await createTestDatabase();
  });
  afterAll(async () => pg?.dispose());

  const apply = async (events: Envelope[]) => {
    for (const [i, e] of events.entries())
      await emailLogsProjection.apply(pg.db, e, { stream: e.type === 'EmailGenerated' ? 'AI' : 'MAILER', seq: i + 1 });
  };
  /** The email's row with its reports (from `email_events`, in time order) as `webhook_events`. */
  const row = async (id: string) => {
    const r = await pg.db.selectFrom('email_logs').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    const events = await pg.db
      .selectFrom('email_events')
      .selectAll()
      .where('email_id', '=', id)
      .orderBy('occurred_at')
      .orderBy('sg_event_id')
      .execute();
    const webhook_events = events.map((e) => ({
      sg_event_id: e.sg_event_id,
      event: e.event,
      timestamp: e.occurred_at.toISOString(),
      url: e.url,
      agent_id: e.agent_id,
    }));
    return { ...r, webhook_events };
  };
  const comparable = (r: Awaited<ReturnType<typeof row>>) => ({
    ...r,
    id: undefined,
    webhook_events: [...r.webhook_events]
      .map((w) => ({ ...w, sg_event_id: w.sg_event_id.split('-').at(-1) ?? '' }))
      .sort((a, b) => a.sg_event_id.localeCompare(b.sg_event_id)),
  });

  it('gives the same row whatever order the AI and MAILER events arrive in', async () => {
    const inOrder = uuidv7();
    const reversed = uuidv7();
    await apply(history(inOrder));
    await apply(history(reversed).reverse());
    const a = await row(inOrder);
    expect(a).toMatchObject({
      status: 'clicked',
      subject: 'Hello',
      to_email: 'maria@example.com',
      provider: 'openai',
      model: 'gpt-test',
      sendgrid_message_id: 'msg-1',
      retry_count: 2,
      task_id: task,
      client_id: client,
      agent_id: agent,
    });
    expect(a.created_at.toISOString()).toBe(at(0));
    expect(a.sent_at?.toISOString()).toBe(at(1));
    expect(a.opened_at?.toISOString()).toBe(at(5)); // the first open, not the last one applied
    expect(a.clicked_at?.toISOString()).toBe(at(10));
    expect(a.webhook_events).toHaveLength(4); // the duplicate open counted once
    expect(a.webhook_events.map((w) => w.event)).toEqual(['delivered', 'open', 'open', 'click']);
    expect(a.webhook_events.every((w) => w.agent_id === agent)).toBe(true);
    expect(a.webhook_events.at(-1)?.url).toBe('https://example.com/listing');
    expect(a).toMatchObject({ webhook_event_count: 4, open_count: 2, click_count: 1 });
    expect(a.delivered_at?.toISOString()).toBe(at(2));
    expect(comparable(await row(reversed))).toEqual(comparable(a));
  });

  it('a long history costs the same per event: 2,000 reports on one email, applied twice, are 2,000 rows and counters', async () => {
    const id = uuidv7();
    const base = { agentId: agent, aggregateId: id, correlationId: 't', causationId: null };
    const ref = { task_id: task, client_id: client };
    const opens = Array.from({ length: 2000 }, (_, i) =>
      newEvent('EmailOpened', {
        ...base,
        data: { ...ref, sg_event_id: `${id}-o${i}`, event: 'open', timestamp: new Date(Date.UTC(2026, 10, 21, 12, 0, 0, i)).toISOString() },
      }),
    );
    // In transactions of 500 through the batch path (applyMany), as the projector's fast path applies them.
    const inBatch = async (events: Envelope[]) => {
      for (let from = 0; from < events.length; from += 500)
        await pg.db.transaction().execute(async (trx) => {
          await emailLogsProjection.applyMany?.(
            trx,
            events.slice(from, from + 500).map((event, i) => ({ event, pos: { stream: 'MAILER' as const, seq: from + i + 1 } })),
          );
        });
    };
    const started = Date.now();
    await inBatch(opens);
    const firstPass = Date.now() - started;
    await inBatch(opens); // SendGrid retried the whole batch
    const r = await pg.db.selectFrom('email_logs').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    expect(r).toMatchObject({ status: 'opened', webhook_event_count: 2000, open_count: 2000, click_count: 0 });
    expect(r.opened_at?.toISOString()).toBe(new Date(Date.UTC(2026, 10, 21, 12, 0, 0, 0)).toISOString());
    expect(
      Number(
        (
          await pg.db
            .selectFrom('email_events')
            .select((eb) => eb.fn.countAll().as('n'))
            .where('email_id', '=', id)
            .executeTakeFirstOrThrow()
        ).n,
      ),
    ).toBe(2000);
    // Rough guard against the old quadratic rewrite (which took tens of seconds here): linear, well under this.
    expect(firstPass).toBeLessThan(20_000);
  });

  it('a batch at once (applyMany) gives exactly the row that event-by-event apply gives', async () => {
    const oneByOne = uuidv7();
    const atOnce = uuidv7();
    const mixed = (id: string): Envelope[] => {
      const base = { agentId: agent, aggregateId: id, correlationId: 't', causationId: null };
      const ref = { task_id: task, client_id: client };
      const hook = (
        type: 'EmailDelivered' | 'EmailOpened' | 'EmailClicked' | 'EmailBounced' | 'EmailWebhookRecorded',
        event: string,
        sg: string,
        s: number,
        extra: { url?: string; reason?: string } = {},
      ) =>
        newEvent(type, {
          ...base,
          occurredAt: new Date(at(s)),
          data: { ...ref, sg_event_id: `${id}-${sg}`, event, timestamp: at(s), ...extra },
        });
      return [
        hook('EmailOpened', 'open', 'o1', 9),
        newEvent('EmailSent', {
          ...base,
          data: { ...ref, to_email: 'x@example.com', provider: 'sendgrid', message_id: 'm', sent_at: at(1), attempts: 1 },
        }),
        hook('EmailDelivered', 'delivered', 'd', 3),
        hook('EmailOpened', 'open', 'o2', 5),
        hook('EmailOpened', 'open', 'o1', 9), // duplicate
        hook('EmailClicked', 'click', 'c', 12, { url: 'https://example.com/a' }),
        hook('EmailWebhookRecorded', 'deferred', 'p', 2),
        hook('EmailBounced', 'bounce', 'b1', 20, { reason: 'first' }),
        hook('EmailBounced', 'bounce', 'b2', 21, { reason: 'second' }),
        hook('EmailDelivered', 'delivered', 'd2', 2),
      ];
    };
    for (const [i, e] of mixed(oneByOne).entries()) await emailLogsProjection.apply(pg.db, e, { stream: 'MAILER', seq: i + 1 });
    await emailLogsProjection.applyMany?.(
      pg.db,
      mixed(atOnce).map((event, i) => ({ event, pos: { stream: 'MAILER' as const, seq: i + 1 } })),
    );
    const a = await row(oneByOne);
    expect(a).toMatchObject({ status: 'bounced', error_message: 'second', webhook_event_count: 8, open_count: 2, click_count: 1 });
    expect(a.delivered_at?.toISOString()).toBe(at(2));
    expect(a.opened_at?.toISOString()).toBe(at(5));
    expect(comparable(await row(atOnce))).toEqual(comparable(a));
  });

  it('never moves the status backwards: a late delivered does not undo bounced', async () => {
    const id = uuidv7();
    const base = { agentId: agent, aggregateId: id, correlationId: 't', causationId: null };
    const ref = { task_id: null, client_id: client };
    await apply([
      newEvent('EmailBounced', {
        ...base,
        data: { ...ref, sg_event_id: `${id}-b`, event: 'bounce', timestamp: at(3), reason: '550 no such user' },
      }),
      newEvent('EmailDelivered', { ...base, data: { ...ref, sg_event_id: `${id}-d`, event: 'delivered', timestamp: at(2) } }),
      newEvent('EmailSent', {
        ...base,
        data: { ...ref, to_email: 'x@example.com', provider: 'sendgrid', message_id: 'm', sent_at: at(1), attempts: 1 },
      }),
      newEvent('EmailWebhookRecorded', { ...base, data: { ...ref, sg_event_id: `${id}-p`, event: 'processed', timestamp: at(1) } }),
    ]);
    const r = await row(id);
    expect(r.status).toBe('bounced');
    expect(r.error_message).toBe('550 no such user');
    expect(r.webhook_events.map((w) => w.event)).toEqual(['processed', 'delivered', 'bounce']); // time order, not arrival order
    expect(r.delivered_at?.toISOString()).toBe(at(2));
  });

  it('an unknown email the agent resolves: a resend goes back to sending, then its outcome; marked as sent keeps no message id', async () => {
    const resent = uuidv7();
    const marked = uuidv7();
    const ev = (id: string) => ({ agentId: agent, aggregateId: id, correlationId: 't', causationId: null });
    const ref = { task_id: task, client_id: client };
    const unknown = (id: string) =>
      newEvent('EmailSendUnknown', {
        ...ev(id),
        data: { ...ref, provider: 'sendgrid', reason: 'interrupted during send attempt 1; not resent' },
      });
    await apply([unknown(resent), newEvent('EmailResendRequested', { ...ev(resent), data: ref })]);
    expect(await row(resent)).toMatchObject({ status: 'sending', error_message: null });
    await apply([
      newEvent('EmailSent', {
        ...ev(resent),
        data: { ...ref, to_email: 'maria@example.com', provider: 'sendgrid', message_id: 'msg-2', sent_at: at(30), attempts: 1 },
      }),
    ]);
    expect(await row(resent)).toMatchObject({ status: 'sent', sendgrid_message_id: 'msg-2', error_message: null });

    await apply([
      unknown(marked),
      newEvent('EmailSent', {
        ...ev(marked),
        data: {
          ...ref,
          to_email: 'maria@example.com',
          provider: 'sendgrid',
          message_id: 'unknown',
          sent_at: at(20),
          attempts: 1,
          confirmed_by: 'agent',
        },
      }),
    ]);
    const r = await row(marked);
    expect(r).toMatchObject({ status: 'sent', sendgrid_message_id: null, error_message: null });
    expect(r.sent_at?.toISOString()).toBe(at(20));

    // A resend request never pulls a settled email back (only `unknown` becomes `sending`).
    const settled = uuidv7();
    await apply([
      newEvent('EmailSent', {
        ...ev(settled),
        data: { ...ref, to_email: 'maria@example.com', provider: 'sendgrid', message_id: 'm', sent_at: at(1), attempts: 1 },
      }),
      newEvent('EmailResendRequested', { ...ev(settled), data: ref }),
    ]);
    expect((await row(settled)).status).toBe('sent');
  });

  it("an unknown email SendGrid reports on: confirmed sent by the provider, ends as the report's status whatever the order", async () => {
    const ref = { task_id: task, client_id: client };
    const confirmed = (id: string, messageId = 'sg-msg-1'): Envelope[] => {
      const ev = { agentId: agent, aggregateId: id, correlationId: 't', causationId: null };
      return [
        newEvent('EmailGenerated', {
          ...ev,
          occurredAt: new Date(at(0)),
          data: {
            ...ref,
            followup_type: 'Day 1',
            to_email: 'maria@example.com',
            to_name: 'Maria',
            subject: 'Hello',
            body: 'Hi',
            provider: 'openai',
            model: 'm',
            prompt_version: 'v1',
            fallback_reason: null,
          },
        }),
        newEvent('EmailSendUnknown', {
          ...ev,
          data: { ...ref, provider: 'sendgrid', reason: 'interrupted during send attempt 1; not resent' },
        }),
        newEvent('EmailSent', {
          ...ev,
          data: {
            ...ref,
            to_email: 'maria@example.com',
            provider: 'sendgrid',
            message_id: messageId,
            sent_at: at(1),
            attempts: 1,
            confirmed_by: 'provider',
          },
        }),
        newEvent('EmailDelivered', {
          ...ev,
          data: { ...ref, sg_event_id: `${id}-d`, event: 'delivered', timestamp: at(2), sg_message_id: `${messageId}.filter0001.1.0` },
        }),
        newEvent('EmailOpened', { ...ev, data: { ...ref, sg_event_id: `${id}-o`, event: 'open', timestamp: at(4) } }),
      ];
    };
    const inOrder = uuidv7();
    const reversed = uuidv7();
    await apply(confirmed(inOrder));
    await apply(confirmed(reversed).reverse());
    const r = await row(inOrder);
    expect(r).toMatchObject({ status: 'opened', sendgrid_message_id: 'sg-msg-1', error_message: null, retry_count: 0 });
    expect(r.sent_at?.toISOString()).toBe(at(1));
    expect(r.opened_at?.toISOString()).toBe(at(4));
    expect(comparable(await row(reversed))).toEqual(comparable(r));

    // Without a message id in the report: sent, nothing invented.
    const noId = uuidv7();
    await apply(confirmed(noId, 'unknown').slice(0, 4));
    expect(await row(noId)).toMatchObject({ status: 'delivered', sendgrid_message_id: null, error_message: null });

    // Reported before the outcome was known (the redelivery settles it after the reports).
    const early = uuidv7();
    const [generated, , sent, delivered] = confirmed(early);
    await apply([generated!, delivered!, sent!]);
    const e = await row(early);
    expect(e).toMatchObject({ status: 'delivered', sendgrid_message_id: 'sg-msg-1', error_message: null });
    expect(e.sent_at?.toISOString()).toBe(at(1));

    // Dropped by SendGrid: failed, then dropped with SendGrid's reason.
    const dropped = uuidv7();
    const ev = { agentId: agent, aggregateId: dropped, correlationId: 't', causationId: null };
    await apply([
      newEvent('EmailSendUnknown', {
        ...ev,
        data: { ...ref, provider: 'sendgrid', reason: 'interrupted during send attempt 1; not resent' },
      }),
      newEvent('EmailFailed', {
        ...ev,
        data: { ...ref, provider: 'sendgrid', reason: 'SendGrid dropped it: Bounced Address', attempts: 1 },
      }),
      newEvent('EmailDropped', {
        ...ev,
        data: { ...ref, sg_event_id: `${dropped}-x`, event: 'dropped', timestamp: at(2), reason: 'Bounced Address' },
      }),
    ]);
    expect(await row(dropped)).toMatchObject({ status: 'dropped', error_message: 'Bounced Address', sent_at: null });
  });
});
