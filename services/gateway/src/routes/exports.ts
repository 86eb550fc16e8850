import { pipeline, Readable } from 'node:stream';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { type Client, ClientListQuery, EmailListQuery, ProblemDetails } from '@realtoros/contracts';
import { toSpreadsheetCell } from '@realtoros/imports';
import { clientsForExport, customFieldKeys, emailsForExport } from '@realtoros/queries';
import { Type } from '@sinclair/typebox';
import { stringify } from 'csv-stringify';
import { recordAudit } from '../audit.ts';
import { agentOf, requireAgent } from '../plugins/auth.ts';

/** The list's filters without paging or order (an export is every match, newest first). */
const ClientExportQuery = Type.Omit(ClientListQuery, ['page', 'limit', 'sort'], { additionalProperties: false });
const errors = { 400: ProblemDetails, 401: ProblemDetails, 503: ProblemDetails };

const EmailExportQuery = Type.Omit(EmailListQuery, ['page', 'limit'], { additionalProperties: false });
/** The email history's columns: what was sent to whom, when, and what became of it. */
const EMAIL_COLUMNS = [
  'id',
  'created_at',
  'sent_at',
  'client_id',
  'client_name',
  'to_email',
  'subject',
  'body',
  'status',
  'delivered_at',
  'opened_at',
  'clicked_at',
  'open_count',
  'click_count',
  'error_message',
] as const;

/** The columns, in the import's own vocabulary, so an exported file imports back as it is. */
const CLIENT_COLUMNS = [
  'id',
  'name',
  'email',
  'phone',
  'property_address',
  'property_type',
  'stage',
  'notes',
  'time_zone',
  'unsubscribed',
  'created_at',
  'last_contacted',
] as const satisfies readonly (keyof Client)[];
/** Tags (issue 10) in one cell, joined with "; " (a tag holds no `;` nor `,`, so it splits back unambiguously). */
export const TAGS_SEPARATOR = '; ';

/**
 * CSV exports (issue 10). Streamed: rows are read a batch at a time (keyset) and written as
 * they come, so a book of 50,000 clients never sits in memory. UTF-8 with a BOM, so Excel
 * shows accents right; one column per custom field the matching clients use.
 */
export const exportRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.addHook('preHandler', requireAgent);

  app.get(
    '/api/clients/export.csv',
    {
      schema: {
        tags: ['clients'],
        security: [{ bearer: [] }],
        description: 'Every client matching the list filters, as CSV (text/csv, UTF-8 with BOM), newest first.',
        querystring: ClientExportQuery,
        response: { 200: { content: { 'text/csv': { schema: Type.String() } } }, ...errors },
      },
    },
    async (req, reply) => {
      const agentId = agentOf(req).id;
      await recordAudit(app, req, agentId, 'export.clients', { detail: { filters: filterKeys(req.query) } });
      const keys = await customFieldKeys(app.deps.db, agentId, req.query);
      const csv = stringify({ header: true, columns: [...CLIENT_COLUMNS, 'tags', ...keys], bom: true });
      const rows = clientsForExport(app.deps.db, agentId, req.query);
      const records = Readable.from(
        (async function* () {
          for await (const batch of rows)
            for (const c of batch) {
              const custom = (c.custom_fields ?? {}) as Record<string, unknown>;
              yield [
                ...CLIENT_COLUMNS.map((k) => toSpreadsheetCell(c[k])),
                toSpreadsheetCell((c.tags ?? []).join(TAGS_SEPARATOR)),
                ...keys.map((k) => toSpreadsheetCell(custom[k])),
              ];
            }
        })(),
      );
      // Fed from the query batches with backpressure. A read that fails mid-file (the headers
      // are gone by then) destroys the stream, so the download ends cut off, never looks whole.
      pipeline(records, csv, (err) => {
        if (err) req.log.warn({ err }, 'client export ended early');
      });
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', 'attachment; filename="clients.csv"')
        .header('cache-control', 'no-store')
        .send(csv as unknown as string); // a stream: Fastify pipes it; the schema says what it carries
    },
  );

  app.get(
    '/api/emails/export.csv',
    {
      schema: {
        tags: ['emails'],
        security: [{ bearer: [] }],
        description: 'The email history matching the list filters (client_id, status), as CSV (text/csv, UTF-8 with BOM), newest first.',
        querystring: EmailExportQuery,
        response: { 200: { content: { 'text/csv': { schema: Type.String() } } }, ...errors },
      },
    },
    async (req, reply) => {
      await recordAudit(app, req, agentOf(req).id, 'export.emails', { detail: { filters: filterKeys(req.query) } });
      const csv = stringify({ header: true, columns: [...EMAIL_COLUMNS], bom: true });
      const rows = emailsForExport(app.deps.db, agentOf(req).id, req.query);
      const records = Readable.from(
        (async function* () {
          for await (const batch of rows)
            for (const e of batch) yield EMAIL_COLUMNS.map((k) => toSpreadsheetCell((e as Record<string, unknown>)[k]));
        })(),
      );
      // As the client export: a read failing mid-file cuts the download off.
      pipeline(records, csv, (err) => {
        if (err) req.log.warn({ err }, 'email export ended early');
      });
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', 'attachment; filename="emails.csv"')
        .header('cache-control', 'no-store')
        .send(csv as unknown as string);
    },
  );
};

/** The filters an export used, by name only (their values may be a client's name or email: never in the audit log). */
const filterKeys = (q: object): string[] =>
  Object.entries(q)
    .filter(([, v]) => v !== undefined)
    .map(([k]) => k)
    .sort();
