import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Template as TemplateT } from '@realtoros/contracts';
import { MERGE_FIELDS, ProblemDetails, Template, TemplateCreateBody, TemplateList, TemplatePatchBody, Uuid } from '@realtoros/contracts';
import { getTemplate, listTemplates } from '@realtoros/queries';
import { Type } from '@sinclair/typebox';
import { notFound } from '../errors/index.ts';
import { agentOf, requireAgent } from '../plugins/auth.ts';
import { execute } from '../plugins/commands.ts';
import { seqEtag, setEtag, withIfMatch, writeHeaders } from '../plugins/etag.ts';

const IdParams = Type.Object({ id: Uuid });
const errors = { 400: ProblemDetails, 401: ProblemDetails, 404: ProblemDetails, 409: ProblemDetails, 503: ProblemDetails };
const writeErrors = { ...errors, 412: ProblemDetails, 422: ProblemDetails };
const ETAG = 'Answers carry `ETag: "<version>"`; send it back in `If-Match` on PATCH/DELETE to refuse a stale write (412).';
const SYNTAX =
  'Subject and body may hold merge fields: `{{ first_name }}` (spaces allowed), `{{ first_name | there }}` (a fallback when the ' +
  'client has no value; without one a missing value is left out), `{{ custom.<key> }}` (a custom field), `\\{{` for a literal `{{`. ' +
  'An unknown field or an unclosed `{{` is a 400 naming it, with the pointer `/subject` or `/body`; nothing is stored.';
const mergeFields = MERGE_FIELDS.map((f) => ({ name: f.name, description: f.description }));

/**
 * An agent's email templates (issue 10). Templates are the crm's aggregate: writes become crm
 * commands (it checks the limits and the merge fields); reads come from the `templates` read
 * model through the shared queries (tenancy included: another agent's template, or a deleted
 * one, is 404). ETag = the aggregate's sequence; PATCH/DELETE accept If-Match.
 */
export const templateRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.addHook('preHandler', requireAgent);
  const common = { tags: ['templates'], security: [{ bearer: [] }] };
  const ownTemplate = async (agentId: string, id: string) => {
    const template = await getTemplate(app.deps.db, agentId, id);
    if (!template) throw notFound('template');
    return template;
  };
  const view = ({ aggregate_seq: _, ...t }: TemplateT & { aggregate_seq?: number | null }) => t;

  app.get(
    '/api/templates',
    {
      schema: {
        ...common,
        description: `The agent's templates by name, and the merge fields they may use. ${SYNTAX}`,
        response: { 200: TemplateList, ...errors },
      },
    },
    async (req) => ({ items: await listTemplates(app.deps.db, agentOf(req).id), merge_fields: mergeFields }),
  );

  app.post(
    '/api/templates',
    {
      schema: {
        ...common,
        description: `${SYNTAX} ${ETAG}`,
        headers: writeHeaders({ ifMatch: false }),
        body: TemplateCreateBody,
        response: { 201: Template, ...writeErrors },
      },
    },
    async (req, reply) => {
      const created = await execute<'crm', 'create_template', TemplateT>(app, req, 'crm', 'create_template', req.body);
      const template = await getTemplate(app.deps.db, agentOf(req).id, created.id);
      setEtag(reply, seqEtag(template?.aggregate_seq));
      return reply.code(201).send(template ? view(template) : created);
    },
  );

  app.get(
    '/api/templates/:id',
    { schema: { ...common, description: ETAG, params: IdParams, response: { 200: Template, ...errors } } },
    async (req, reply) => {
      const template = await ownTemplate(agentOf(req).id, req.params.id);
      setEtag(reply, seqEtag(template.aggregate_seq));
      return view(template);
    },
  );

  app.patch(
    '/api/templates/:id',
    {
      schema: {
        ...common,
        description: `A new version of the template (the fields given; the rest stay). ${SYNTAX} ${ETAG}`,
        headers: writeHeaders({ ifMatch: true }),
        params: IdParams,
        body: TemplatePatchBody,
        response: { 200: Template, ...writeErrors },
      },
    },
    async (req, reply) => {
      const agentId = agentOf(req).id;
      const updated = await withIfMatch(req, async (expectedSeq) => {
        await ownTemplate(agentId, req.params.id);
        return execute<'crm', 'change_template', TemplateT>(
          app,
          req,
          'crm',
          'change_template',
          { template_id: req.params.id, changes: req.body },
          { expectedSeq },
        );
      });
      const template = await getTemplate(app.deps.db, agentId, req.params.id);
      setEtag(reply, seqEtag(template?.aggregate_seq));
      return template ? view(template) : updated;
    },
  );

  app.delete(
    '/api/templates/:id',
    {
      schema: {
        ...common,
        description:
          'Deletes the template. A plan step that names it falls back to an ordinary AI email when it falls due (the email says why: `fallback_reason`).',
        headers: writeHeaders({ ifMatch: true }),
        params: IdParams,
        response: { 204: Type.Null(), ...writeErrors },
      },
    },
    async (req, reply) => {
      await withIfMatch(req, async (expectedSeq) => {
        await ownTemplate(agentOf(req).id, req.params.id);
        return execute(app, req, 'crm', 'delete_template', { template_id: req.params.id }, { expectedSeq });
      });
      return reply.code(204).send(null);
    },
  );
};
