import { createHash, type Hash } from 'node:crypto';
import { pipeline, Readable } from 'node:stream';
import multipart from '@fastify/multipart';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { ObjectStore } from '@nats-io/obj';
import { ImportJob, ImportMappingSchema, ImportPreview, ImportQuery, ProblemDetails, schemaIssues, Uuid } from '@realtoros/contracts';
import {
  type CsvTable,
  CsvRefused,
  checkRows,
  guessMapping,
  type ImportMapping,
  MAX_IMPORT_BYTES,
  mappingProblems,
  readCsv,
  toSpreadsheetCell,
} from '@realtoros/imports';
import { openImportFiles } from '@realtoros/messaging';
import { existingClientEmails, getImport, getPlan, recentImports } from '@realtoros/queries';
import { Type } from '@sinclair/typebox';
import { stringify } from 'csv-stringify';
import type { FastifyRequest } from 'fastify';
import { v7 as uuidv7 } from 'uuid';
import { HttpProblem, notFound } from '../errors/index.ts';
import { agentOf, requireAgent } from '../plugins/auth.ts';
import { execute } from '../plugins/commands.ts';
import { recordAudit } from '../audit.ts';
import { commandIdFor } from '../plugins/idempotency.ts';

const IdParams = Type.Object({ id: Uuid });
const errors = {
  400: ProblemDetails,
  401: ProblemDetails,
  404: ProblemDetails,
  413: ProblemDetails,
  415: ProblemDetails,
  503: ProblemDetails,
};
const CSV_TYPES = ['text/csv', 'application/csv', 'text/plain', 'application/vnd.ms-excel', 'application/octet-stream'];
const PREVIEW_ROWS = 20;
const PREVIEW_ERRORS = 100;
const BODY_DOC =
  'The CSV as the body (`text/csv`), or `multipart/form-data` with a `file` field; UTF-8 (BOM or not) or Windows-1252, comma or semicolon, at most 50,000 rows / 20 MB.';

/**
 * CSV imports (issue 10). The gateway reads and checks the file exactly as the job will
 * (libs/imports), so the preview shows what the import does; a started import stores the
 * file in the `crm_imports` object store and hands crm a `start_import` command, whose job
 * (services/crm/src/import) creates the clients through crm's own command path. Progress is
 * read from the `imports` read model, live through the projector's announcements.
 */
export const importRoutes: FastifyPluginAsyncTypebox = async (app) => {
  await app.register(multipart, { limits: { fileSize: MAX_IMPORT_BYTES, files: 1, fields: 10, parts: 11 }, throwFileSizeLimit: true });
  app.addContentTypeParser(CSV_TYPES, { parseAs: 'buffer', bodyLimit: MAX_IMPORT_BYTES }, (_req, body, done) => done(null, body));
  app.addHook('preHandler', requireAgent);
  const common = { tags: ['imports'], security: [{ bearer: [] }] };

  // Opened on first use: the gateway starts (and answers health checks) while NATS is still coming up.
  let files: Promise<ObjectStore> | null = null;
  const importFiles = () => {
    files ??= openImportFiles(app.deps.nc).catch((err: unknown) => {
      files = null;
      throw err;
    });
    return files;
  };

  app.post(
    '/api/imports/preview',
    {
      bodyLimit: MAX_IMPORT_BYTES,
      schema: {
        ...common,
        summary: 'Check a CSV before importing it',
        description: `${BODY_DOC} Nothing is written: the columns as mapped, the first rows as they would import, the rejected rows and the duplicates.`,
        querystring: Type.Pick(ImportQuery, ['mapping']),
        response: { 200: ImportPreview, ...errors },
      },
    },
    async (req) => {
      const upload = await readUpload(req);
      const table = readTable(upload.bytes);
      const mapping = mappingFor(table, req.query.mapping);
      const checked = checkRows(table, mapping);
      const bad = checked.flatMap(({ row, result }) => (result.ok ? [] : [{ row, reason: result.reason }]));
      const emails = checked.flatMap(({ result }) => (result.ok ? [result.client.email] : []));
      const existing = await existingClientEmails(app.deps.db, agentOf(req).id, [...new Set(emails)]);
      const seen = new Set<string>();
      const duplicateRows = new Set<number>();
      for (const { row, result } of checked) {
        if (!result.ok) continue;
        if (existing.has(result.client.email) || seen.has(result.client.email)) duplicateRows.add(row);
        seen.add(result.client.email);
      }
      return {
        file_name: upload.fileName,
        encoding: table.encoding,
        delimiter: table.delimiter,
        total: table.rows.length,
        columns: table.columns.map((header, i) => ({
          header,
          target: mapping[header] ?? 'custom',
          samples: table.rows
            .map((r) => (r[i] ?? '').trim())
            .filter(Boolean)
            .slice(0, 3),
        })),
        mapping,
        mapping_problems: mappingProblems(table.columns, mapping),
        rows: checked
          .slice(0, PREVIEW_ROWS)
          .map(({ row, result }) =>
            result.ok
              ? { row, ok: true as const, client: result.client, duplicate: duplicateRows.has(row) }
              : { row, ok: false as const, reason: result.reason },
          ),
        bad_rows: bad.length,
        errors: bad.slice(0, PREVIEW_ERRORS),
        duplicates: duplicateRows.size,
      };
    },
  );

  app.post(
    '/api/imports',
    {
      bodyLimit: MAX_IMPORT_BYTES,
      schema: {
        ...common,
        summary: 'Start a CSV import',
        description: `${BODY_DOC} Answers 202 with the job's id at once; \`GET /api/imports/{id}\` shows its progress. Duplicates (an email a client already has, or an earlier row's) are skipped or update that client (\`on_duplicate\`); new clients join \`plan_id\`, or no plan.`,
        querystring: ImportQuery,
        response: { 202: Type.Object({ id: Uuid }), ...errors, 409: ProblemDetails, 422: ProblemDetails },
      },
    },
    async (req, reply) => {
      const agentId = agentOf(req).id;
      const upload = await readUpload(req);
      const table = readTable(upload.bytes);
      const mapping = mappingFor(table, req.query.mapping);
      const problems = mappingProblems(table.columns, mapping);
      if (problems.length > 0)
        throw new HttpProblem(
          400,
          'The columns cannot be imported as mapped',
          problems.join(' '),
          problems.map((detail) => ({ pointer: '/query/mapping', detail })),
        );
      const planId = req.query.plan_id ?? null;
      if (planId && !(await getPlan(app.deps.db, agentId, planId)))
        throw new HttpProblem(400, 'Invalid request', 'There is no such plan.', [{ pointer: '/query/plan_id', detail: 'no such plan' }]);
      // With an Idempotency-Key the id derives from it: a retried upload is the same job.
      const importId = commandIdFor(req, agentId, 'crm.start_import', uuidv7);
      const store = await importFiles();
      // Written once per id: a retry (same Idempotency-Key) finds its file there; another file
      // under the same key never replaces the one a job reads.
      const sha256 = createHash('sha256').update(upload.bytes);
      const stored = await store.info(importId);
      if (!stored || stored.deleted) await store.putBlob({ name: importId, description: upload.fileName ?? undefined }, upload.bytes);
      else if (stored.digest !== objectDigest(sha256.copy()))
        throw new HttpProblem(
          409,
          'Conflict',
          'This Idempotency-Key was already used to upload another file; use a new key for a new file.',
        );
      await execute(app, req, 'crm', 'start_import', {
        import_id: importId,
        file_name: upload.fileName,
        sha256: sha256.digest('hex'),
        on_duplicate: req.query.on_duplicate ?? 'skip',
        plan_id: planId,
        mapping,
        total: table.rows.length,
      });
      await recordAudit(app, req, agentId, 'import.started', {
        target_type: 'import',
        target_id: importId,
        detail: { rows: table.rows.length },
      });
      reply.header('location', `/api/imports/${importId}`);
      return reply.code(202).send({ id: importId });
    },
  );

  app.get(
    '/api/imports',
    {
      schema: {
        ...common,
        summary: "The agent's latest imports",
        response: { 200: Type.Object({ items: Type.Array(Type.Omit(ImportJob, ['errors'])) }), ...errors },
      },
    },
    async (req) => ({ items: await recentImports(app.deps.db, agentOf(req).id) }),
  );

  app.get(
    '/api/imports/:id',
    {
      schema: {
        ...common,
        summary: 'An import: its status, counts and rejected rows',
        params: IdParams,
        response: { 200: ImportJob, ...errors },
      },
    },
    async (req) => {
      const job = await getImport(app.deps.db, agentOf(req).id, req.params.id);
      if (!job) throw notFound('import');
      return job;
    },
  );

  app.get(
    '/api/imports/:id/report.csv',
    {
      schema: {
        ...common,
        summary: "An import's rejected rows, as CSV",
        description:
          'Row, Problem, then the row as it was in the file (while the file is kept): fix the cells and import the report again. UTF-8 with BOM.',
        params: IdParams,
        response: { 200: { content: { 'text/csv': { schema: Type.String() } } }, ...errors },
      },
    },
    async (req, reply) => {
      const job = await getImport(app.deps.db, agentOf(req).id, req.params.id);
      if (!job) throw notFound('import');
      const bytes = await (await importFiles()).getBlob(job.id);
      let table: CsvTable | null = null;
      try {
        table = bytes ? readCsv(bytes) : null;
      } catch {
        table = null; // the report still names each row and why
      }
      const columns = table?.columns ?? [];
      const csv = stringify({ header: true, columns: ['Row', 'Problem', ...columns], bom: true });
      const records = Readable.from(
        (function* () {
          for (const e of job.errors) yield [e.row, e.reason, ...(table?.rows[e.row - 1] ?? []).map((cell) => toSpreadsheetCell(cell))];
        })(),
        { objectMode: true },
      );
      pipeline(records, csv, (err) => {
        if (err) req.log.warn({ err }, 'import report ended early');
      });
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="import-${job.id}-rejected.csv"`)
        .header('cache-control', 'no-store')
        .send(csv as unknown as string); // a stream: Fastify pipes it; the schema says what it carries
    },
  );
};

/** The uploaded file: a text/csv body, or the `file` part of a multipart form. */
async function readUpload(req: FastifyRequest): Promise<{ bytes: Buffer; fileName: string | null }> {
  if (req.isMultipart()) {
    try {
      for await (const part of req.parts()) {
        if (part.type !== 'file') continue;
        if (part.fieldname !== 'file') {
          part.file.resume();
          continue;
        }
        const chunks: Buffer[] = [];
        for await (const chunk of part.file) chunks.push(chunk as Buffer);
        return { bytes: Buffer.concat(chunks), fileName: cleanFileName(part.filename) };
      }
    } catch (err) {
      if ((err as { code?: string }).code === 'FST_REQ_FILE_TOO_LARGE')
        throw tooLarge(`The file is larger than ${MAX_IMPORT_BYTES / 1024 / 1024} MB.`);
      throw new HttpProblem(400, 'Malformed multipart body', 'The multipart/form-data body could not be read.');
    }
    throw new HttpProblem(400, 'Invalid request', 'The form has no `file` field with the CSV.', [
      { pointer: '/body/file', detail: 'is required' },
    ]);
  }
  if (Buffer.isBuffer(req.body)) return { bytes: req.body, fileName: null };
  throw new HttpProblem(415, 'Unsupported Media Type', 'Send the CSV as text/csv, or as multipart/form-data with a `file` field.');
}

const cleanFileName = (name: string | undefined) => {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is removed
  const clean = (name ?? '').replace(/[\u0000-\u001f\u007f\\/]/g, '').trim();
  return clean ? clean.slice(0, 255) : null;
};

/** The object store's own digest of a file (`SHA-256=` + padded base64url), to compare with a stored one. */
const objectDigest = (hash: Hash) => `SHA-256=${hash.digest('base64').replaceAll('+', '-').replaceAll('/', '_')}`;

const tooLarge = (detail: string) => new HttpProblem(413, 'The file is too large', detail);

function readTable(bytes: Uint8Array): CsvTable {
  try {
    return readCsv(bytes);
  } catch (err) {
    if (err instanceof CsvRefused)
      throw err.tooLarge ? tooLarge(err.message) : new HttpProblem(400, 'The file cannot be imported', err.message);
    throw err;
  }
}

/** The guessed mapping, with the agent's choices (`mapping` query, JSON) over it. */
function mappingFor(table: CsvTable, given: string | undefined): ImportMapping {
  const guessed = guessMapping(table.columns);
  if (given === undefined) return guessed;
  let parsed: unknown;
  try {
    parsed = JSON.parse(given);
  } catch {
    throw new HttpProblem(400, 'Invalid request', 'mapping must be JSON.', [
      { pointer: '/query/mapping', detail: 'must be a JSON object' },
    ]);
  }
  const issues = schemaIssues(ImportMappingSchema, parsed);
  if (issues.length > 0 || parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
    throw new HttpProblem(
      400,
      'Invalid request',
      'mapping must be an object of column header → target.',
      issues.map((i) => ({ pointer: `/query/mapping${i.pointer}`, detail: i.detail })),
    );
  return { ...guessed, ...(parsed as ImportMapping) };
}
