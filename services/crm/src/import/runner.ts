import { createHash } from 'node:crypto';
import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import type { KV } from '@nats-io/kv';
import type { ObjectStore } from '@nats-io/obj';
import type { ClientCreateBody, ClientPatchBody, EventData } from '@realtoros/contracts';
import { CsvRefused, checkRows, readCsv } from '@realtoros/imports';
import {
  type CommandContext,
  type CommandHandlers,
  createCommandHandler,
  DomainError,
  deterministicId,
  type EventStore,
  type HandlerContext,
  type RunningConsumer,
  runConsumer,
} from '@realtoros/messaging';
import type { Logger } from '@realtoros/observability';
import { clientDecider } from '../client/decide.ts';
import { uniqueKey } from '../uniqueness/unique-registry.ts';
import { type ImportCounts, importDecider } from './import.ts';

export type ImportRunnerDeps = {
  js: JetStreamClient;
  jsm: JetStreamManager;
  store: EventStore;
  /** crm's own command handlers: an imported client is created exactly as POST /api/clients creates one. */
  handlers: CommandHandlers<'crm'>;
  files: ObjectStore;
  clientEmails: KV;
  log: Logger;
  /** Rows between progress checkpoints (default 250). */
  chunkRows?: number;
  /** Rows handled at once within a chunk (default 32). */
  concurrency?: number;
  /** Imports run at once by this replica (default 2). */
  jobs?: number;
  ackWaitMs?: number;
  /** Deliveries of a job's message before it is reported failed (default 8). */
  attempts?: number;
};

type Outcome = { kind: 'created' | 'updated' | 'skipped' } | { kind: 'failed'; reason: string };

/** Deliveries of a job's message (each resuming from the last checkpoint) before it is reported failed. */
const IMPORT_ATTEMPTS = 8;

/** Row → the command ids its writes use: the same row of the same import is always the same command. */
export const importRowCommandId = (importId: string, row: number, what: 'create' | 'update') =>
  deterministicId('import-row', importId, String(row), what);

/**
 * The import job: a durable consumer of ImportStarted. For each job it reads the file from
 * the object store, checks every row the way the preview did, and creates (or, for a
 * duplicate with `on_duplicate=update`, updates) the clients through crm's own command
 * handlers, in chunks; after each chunk an ImportProgressed checkpoint records rows 1..done
 * and the totals. The message stays unacknowledged (runConsumer keeps it alive) until the
 * job is finished, so a killed crm gets it redelivered and resumes from the checkpoint:
 * rows after it are done again with the same command ids — the same client ids — so nothing
 * is created twice and the counts come out the same.
 */
export function startImportRunner(deps: ImportRunnerDeps): Promise<RunningConsumer> {
  const { store, handlers, files, clientEmails, log } = deps;
  const chunkRows = deps.chunkRows ?? 250;
  const concurrency = deps.concurrency ?? 32;
  const imports = createCommandHandler(store, importDecider, { stream: 'CRM', aggregate: 'import', cacheSize: 0 });
  const clients = createCommandHandler(store, clientDecider, { stream: 'CRM', aggregate: 'client', cacheSize: 0 });
  const attempts = deps.attempts ?? IMPORT_ATTEMPTS;
  const create = handlers.create_client;
  const update = handlers.update_client;
  if (!create || !update) throw new Error('import runner needs create_client and update_client');

  return runConsumer({
    js: deps.js,
    jsm: deps.jsm,
    stream: 'CRM',
    durable: 'crm-imports',
    filterSubject: 'crm.*.import.*',
    eventTypes: ['ImportStarted'],
    concurrency: deps.jobs ?? 2,
    ackWaitMs: deps.ackWaitMs ?? 15_000,
    log,
    maxDeliver: attempts,
    // runConsumer keeps the message's lease (working()) while a job runs, however long.
    async handle(event, hctx) {
      try {
        await runJob(event.agent_id, event.aggregate_id, hctx);
      } catch (err) {
        if (hctx.deliveryCount < attempts) throw err; // redelivered: resumes from its checkpoint
        // Out of attempts: the job says so, rather than reading "running" for ever.
        const reason = `The import stopped after ${attempts} attempts (${(err as Error).message.slice(0, 300)}); import the file again.`;
        await imports.handle(
          { agentId: event.agent_id, aggregateId: event.aggregate_id },
          { type: 'FinishImport', data: { outcome: 'failed', reason } },
          { correlationId: event.aggregate_id, causationId: deterministicId('import-step', event.aggregate_id, 'finish') },
        );
      }
    },
  });

  async function runJob(agentId: string, importId: string, hctx: HandlerContext): Promise<void> {
    const ref = { agentId, aggregateId: importId };
    const cause = (what: string) => ({ correlationId: importId, causationId: deterministicId('import-step', importId, what) });
    const { state } = await imports.load(ref);
    if (state.status !== 'started') return; // finished already (a redelivery after the end)
    const { job } = state;
    const fail = async (reason: string) => {
      hctx.log.warn({ import_id: importId, reason }, 'import failed');
      await imports.handle(ref, { type: 'FinishImport', data: { outcome: 'failed', reason } }, cause('finish'));
    };

    const bytes = await files.getBlob(importId);
    if (!bytes) return fail('The file is no longer stored; import it again.');
    if (createHash('sha256').update(bytes).digest('hex') !== job.sha256) return fail('The stored file is not the one that was checked.');
    let checked: ReturnType<typeof checkRows>;
    try {
      checked = checkRows(readCsv(bytes), job.mapping);
    } catch (err) {
      if (err instanceof CsvRefused) return fail(err.message);
      throw err;
    }

    const counts: ImportCounts = { ...state.counts };
    if (counts.done > 0) hctx.log.info({ import_id: importId, from_row: counts.done + 1 }, 'import resumed');
    while (counts.done < checked.length) {
      const chunk = checked.slice(counts.done, counts.done + chunkRows);
      const outcomes = await handleChunk(agentId, importId, job, chunk);
      const errors: { row: number; reason: string }[] = [];
      for (const [i, o] of outcomes.entries()) {
        counts[o.kind]++;
        if (o.kind === 'failed') errors.push({ row: chunk[i]?.row ?? 0, reason: o.reason.slice(0, 500) });
      }
      counts.done += chunk.length;
      await imports.handle(ref, { type: 'RecordProgress', data: { ...counts, errors } }, cause(`progress-${counts.done}`));
    }
    await imports.handle(ref, { type: 'FinishImport', data: { outcome: 'done', reason: null } }, cause('finish'));
    hctx.log.info({ import_id: importId, ...counts }, 'import finished');
  }

  /**
   * One chunk's rows, `concurrency` at a time — except rows that share an email, which run
   * one after another in file order: the second must see the first's client as the existing
   * one (its claim is only in flight otherwise, and the update would find no client yet).
   */
  async function handleChunk(
    agentId: string,
    importId: string,
    job: EventData<'ImportStarted'>,
    chunk: ReturnType<typeof checkRows>,
  ): Promise<Outcome[]> {
    const outcomes: Outcome[] = new Array(chunk.length);
    const byEmail = new Map<string, number[]>();
    for (const [i, { result }] of chunk.entries()) {
      if (!result.ok) {
        outcomes[i] = { kind: 'failed', reason: result.reason };
        continue;
      }
      const group = byEmail.get(result.client.email) ?? [];
      group.push(i);
      byEmail.set(result.client.email, group);
    }
    const groups = [...byEmail.values()];
    let next = 0;
    const worker = async () => {
      while (next < groups.length) {
        const group = groups[next++] ?? [];
        for (const i of group) {
          const item = chunk[i];
          if (item?.result.ok) outcomes[i] = await handleRow(agentId, importId, job, item.row, item.result.client);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, groups.length) }, worker));
    return outcomes;
  }

  async function handleRow(
    agentId: string,
    importId: string,
    job: EventData<'ImportStarted'>,
    row: number,
    client: ClientCreateBody,
  ): Promise<Outcome> {
    const ctx = (what: 'create' | 'update'): CommandContext => ({
      meta: {
        command_id: importRowCommandId(importId, row, what),
        agent_id: agentId,
        correlation_id: importId,
        issued_at: new Date().toISOString(),
      },
      traceparent: null,
      log,
    });
    try {
      await create?.({ ...client, plan_id: job.plan_id }, ctx('create'));
      return { kind: 'created' };
    } catch (err) {
      if (!(err instanceof DomainError)) throw err; // NATS trouble: the job is retried from its checkpoint
      if (err.code !== 'conflict') return { kind: 'failed', reason: err.message };
    }
    // The email belongs to an existing client (or to an earlier row of this file).
    if (job.on_duplicate === 'skip') return { kind: 'skipped' };
    const owner = await clientEmails.get(uniqueKey(agentId, client.email));
    const ownerId = owner?.operation === 'PUT' ? owner.string() : null;
    if (!ownerId) return { kind: 'failed', reason: 'matches an existing client that could not be updated; try again' };
    const { state } = await clients.load({ agentId, aggregateId: ownerId });
    if (state.status !== 'active') return { kind: 'failed', reason: 'matches a client that is being deleted; try again' };
    const { plan_id: _plan, custom_fields, ...fields } = client;
    const changes: ClientPatchBody = { ...fields };
    // Columns add to the client's custom fields; they do not wipe the ones the file lacks.
    if (custom_fields) changes.custom_fields = { ...state.profile.custom_fields, ...custom_fields } as ClientPatchBody['custom_fields'];
    try {
      await update?.({ client_id: ownerId, changes }, ctx('update'));
      return { kind: 'updated' };
    } catch (err) {
      if (err instanceof DomainError) return { kind: 'failed', reason: err.message };
      throw err;
    }
  }
}
