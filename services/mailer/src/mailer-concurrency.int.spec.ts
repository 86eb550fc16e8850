import type { NatsConnection } from '@nats-io/transport-node';
import { type Envelope, subjects } from '@realtoros/contracts';
import { type EventStore, newEvent } from '@realtoros/messaging';
import {
  type FakeSendGrid,
  type ServiceProcess,
  startFakeSendGrid,
  startJetStream,
  startService,
  type TestNats,
  waitFor,
} from '@realtoros/testing';
import { v7 as uuidv7 } from 'uuid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * Exactly once with many emails in flight (issue 11): the mailer as its own process with
 * MAILER_CONCURRENCY 16 on a real JetStream, sending through the real `@sendgrid/mail` to a
 * fake SendGrid that takes its time. A first delivery no longer reads the attempt record
 * before creating it (the create refuses when one exists), so a stream delivered again from
 * the start must still send nothing twice.
 */
describe('mailer, many emails at once', () => {
  let nats: TestNats;
  let nc: NatsConnection;
  let store: EventStore;
  let sendgrid: FakeSendGrid;
  let svc: ServiceProcess;
  const agentId = uuidv7();
  const N = 40;
  const env = () => ({
    NATS_URL: nats.url,
    SENDGRID_API_KEY: 'SG.test-key',
    SENDGRID_BASE_URL: sendgrid.url,
    JWT_SECRET: 'test-secret-at-least-16-chars',
    MAILER_ACK_WAIT_MS: '2000',
    MAILER_CONCURRENCY: '16',
    SENDGRID_TIMEOUT_MS: '60000',
    HEALTH_PORT: '0',
  });
  const emails: string[] = [];

  beforeAll(async () => {
    [{ nats, nc, store }, sendgrid] = await Promise.all([
      startJetStream(['CRM', 'AI', 'MAILER', 'SCHEDULER']),
      startFakeSendGrid({ delayMs: 150 }),
    ]);
    await store.append(
      newEvent('AgentRegistered', {
        agentId,
        aggregateId: agentId,
        correlationId: 't',
        causationId: null,
        data: { email: 'jane@agency.example', name: 'Jane Agent', password_hash: 'x' },
      }),
    );
    for (let i = 0; i < N; i++) {
      const client = uuidv7();
      const email = `client${i}@example.com`;
      await store.append(
        newEvent('ClientCreated', {
          agentId,
          aggregateId: client,
          correlationId: 't',
          causationId: null,
          data: {
            name: `Client ${i}`,
            email,
            phone: null,
            property_address: null,
            property_type: null,
            notes: null,
            custom_fields: {},
            stage: 'lead',
          },
        }),
      );
      const emailId = uuidv7();
      emails.push(emailId);
      await store.append(
        newEvent('EmailGenerated', {
          agentId,
          aggregateId: emailId,
          correlationId: 't',
          causationId: null,
          data: {
            task_id: uuidv7(),
            client_id: client,
            followup_type: 'Day 1',
            to_email: email,
            to_name: `Client ${i}`,
            subject: 'Checking in',
            body: 'Hi,\n\nJust checking in.\n\nJane',
            provider: 'template',
            model: 'template-v1',
            prompt_version: 'followup-v1',
            fallback_reason: null,
          },
        }),
      );
    }
  });
  afterAll(async () => {
    await svc?.stop();
    await nc?.close();
    await Promise.all([sendgrid?.close(), nats?.dispose()]);
  });

  const outcomes = async (emailId: string): Promise<Envelope[]> =>
    (await store.readSubject('MAILER', subjects.mailedEmail(agentId, emailId))).events.map((e) => e.event);
  /** Requests SendGrid received, by the email_id custom arg. */
  const requestsPerEmail = () => {
    const per = new Map<string, number>();
    for (const r of sendgrid.sends()) {
      const id = sendgrid.mailOf(r).custom_args?.email_id ?? '?';
      per.set(id, (per.get(id) ?? 0) + 1);
    }
    return per;
  };
  const drained = () =>
    waitFor(
      async () => {
        const c = await store.jsm.consumers.info('AI', 'mailer').catch(() => null);
        return c !== null && c.num_pending === 0 && c.num_ack_pending === 0;
      },
      { what: 'the mailer consumer drained', timeoutMs: 30_000 },
    );

  it('SIGKILL with 16 sends in flight, then a restart: every email has one outcome, SendGrid got each at most once, only the interrupted ones are unknown', async () => {
    svc = startService('mailer', env());
    await waitFor(async () => sendgrid.sends().length >= 20, { what: '20 sends to reach SendGrid', timeoutMs: 20_000 });
    await svc.stop('SIGKILL');
    const beforeRestart = sendgrid.sends().length;
    svc = startService('mailer', env());
    const all = await waitFor(
      async () => {
        const o = await Promise.all(emails.map(outcomes));
        return o.every((x) => x.length > 0) && o;
      },
      { what: 'an outcome for every email', timeoutMs: 30_000 },
    );
    await drained();
    await new Promise((r) => setTimeout(r, 2500)); // past an ack wait: nothing more goes out

    const per = requestsPerEmail();
    expect([...per.values()].filter((n) => n > 1)).toEqual([]);
    expect(sendgrid.sends()).toHaveLength(per.size);
    for (const o of all) expect(o).toHaveLength(1);
    const types = all.map((o) => o[0]?.type);
    const unknown = all.filter((o) => o[0]?.type === 'EmailSendUnknown').map((o) => o[0]?.aggregate_id);
    expect(types.every((t) => t === 'EmailSent' || t === 'EmailSendUnknown')).toBe(true);
    // Unknown only where an attempt was recorded before the kill (its answer lost with the
    // process). The record is written before the provider call, so a kill between the two
    // leaves an unknown email SendGrid never saw: 0 or 1 requests, never a resend.
    expect(unknown.length).toBeGreaterThan(0);
    expect(unknown.length).toBeLessThanOrEqual(16);
    for (const id of unknown) expect(per.get(id as string) ?? 0).toBeLessThanOrEqual(1);
    expect(unknown.some((id) => per.get(id as string) === 1)).toBe(true);
    // Everything not interrupted was sent, the rest after the restart.
    expect(types.filter((t) => t === 'EmailSent')).toHaveLength(N - unknown.length);
    expect(sendgrid.sends().length).toBeGreaterThan(beforeRestart);
  });

  it('the stream delivered again from the start (durable deleted; every message a first delivery) sends nothing and records nothing', async () => {
    const sendsBefore = sendgrid.sends().length;
    const eventsBefore = (await Promise.all(emails.map(outcomes))).map((o) => o.length);
    await svc.stop();
    await store.jsm.consumers.delete('AI', 'mailer');
    svc = startService('mailer', env());
    await waitFor(async () => (await store.jsm.consumers.info('AI', 'mailer').catch(() => null))?.delivered.stream_seq === N, {
      what: 'every EmailGenerated delivered again',
      timeoutMs: 20_000,
    });
    await drained();
    await new Promise((r) => setTimeout(r, 1000));
    expect(sendgrid.sends()).toHaveLength(sendsBefore);
    expect((await Promise.all(emails.map(outcomes))).map((o) => o.length)).toEqual(eventsBefore);
  });
});
