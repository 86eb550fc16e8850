import { createHash } from 'node:crypto';
import { Kvm } from '@nats-io/kv';
import { subjects } from '@realtoros/contracts';
import { newEvent, openImportFiles, type RunningConsumer } from '@realtoros/messaging';
import { createLogger } from '@realtoros/observability';
import { startJetStream, type TestJetStream, waitFor } from '@realtoros/testing';
import { v7 as uuidv7 } from 'uuid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startImportRunner } from './runner.ts';

/**
 * The import job when something keeps failing (real NATS): it is retried from its checkpoint
 * a bounded number of times, then reported failed with why — never left "running" for ever.
 */
describe('an import whose rows keep failing', () => {
  let js: TestJetStream;
  let runner: RunningConsumer | null = null;
  beforeAll(async () => {
    js = await startJetStream(['CRM']);
  });
  afterAll(async () => {
    await runner?.stop();
    await js?.dispose();
  });

  it('is tried `attempts` times, then ImportFinished {failed} names the error; no progress is recorded past what was done', async () => {
    const { nc, store } = js;
    const files = await openImportFiles(nc);
    const clientEmails = await new Kvm(nc).create('crm_client_emails', { history: 1 });
    let calls = 0;
    const boom = async () => {
      calls++;
      throw new Error('crm store unreachable');
    };
    runner = await startImportRunner({
      js: store.js,
      jsm: store.jsm,
      store,
      handlers: { create_client: boom, update_client: boom },
      files,
      clientEmails,
      log: createLogger('crm-test', 'silent'),
      attempts: 3,
      ackWaitMs: 2000,
    });
    const agentId = uuidv7();
    const importId = uuidv7();
    const csv = Buffer.from('Name,Email\r\nAnn,ann@example.com\r\nBo,bo@example.com\r\n');
    await files.putBlob({ name: importId }, csv);
    await store.append(
      newEvent('ImportStarted', {
        agentId,
        aggregateId: importId,
        correlationId: 't',
        causationId: null,
        data: {
          file_name: 'book.csv',
          sha256: createHash('sha256').update(csv).digest('hex'),
          on_duplicate: 'skip',
          plan_id: null,
          mapping: { Name: 'name', Email: 'email' },
          total: 2,
        },
      }),
    );
    const events = await waitFor(
      async () => {
        const { events } = await store.readSubject('CRM', subjects.importJob(agentId, importId));
        return events.some((e) => e.event.type === 'ImportFinished') && events.map((e) => e.event);
      },
      { what: 'the import reported failed', timeoutMs: 30_000 },
    );
    expect(events.map((e) => e.type)).toEqual(['ImportStarted', 'ImportFinished']);
    expect(events[1]?.data).toMatchObject({ outcome: 'failed', reason: expect.stringContaining('crm store unreachable') });
    expect(events[1]?.data).toMatchObject({ reason: expect.stringContaining('after 3 attempts') });
    expect(calls).toBeGreaterThanOrEqual(3);
  });
});
