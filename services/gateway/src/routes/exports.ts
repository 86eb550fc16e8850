import { pipeline, Readable } from 'node:stream';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { type Client, ClientListQuery, ProblemDetails } from '@realtoros/contracts';
import { toSpreadsheetCell } from '@realtoros/imports';
import { clientsForExport, customFieldKeys } from '@realtoros/queries';
import { Type } from '@sinclair/typebox';
import { stringify } from 'csv-stringify';
import { agentOf, requireAgent } from '../plugins/auth.ts';

/** The list's filters without paging or order (an export is every match, newest first). */
const ClientExportQuery = Type.Omit(ClientListQuery, ['page', 'limit', 'sort'], { additionalProperties: false });
const errors = { 400: ProblemDetails, 401: ProblemDetails, 503: ProblemDetails };

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
      const keys = await customFieldKeys(app.deps.db, agentId, req.query);
      const csv = stringify({ header: true, columns: [...CLIENT_COLUMNS, ...keys], bom: true });
      const rows = clientsForExport(app.deps.db, agentId, req.query);
      const records = Readable.from(
        (async function* () {
          for await (const batch of rows)
            for (const c of batch) {
              const custom = (c.custom_fields ?? {}) as Record<string, unknown>;
              yield [...CLIENT_COLUMNS.map((k) => toSpreadsheetCell(c[k])), ...keys.map((k) => toSpreadsheetCell(custom[k]))];
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
};
