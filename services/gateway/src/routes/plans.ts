import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Enrollment as EnrollmentT, Plan as PlanT } from '@realtoros/contracts';
import {
  EnrollBody,
  Enrollment,
  EnrollmentPatchBody,
  Plan,
  PlanCreateBody,
  PlanPatchBody,
  PlanPreview,
  ProblemDetails,
  Uuid,
} from '@realtoros/contracts';
import { getClient, getEnrollment, getPlan, listPlans, missingTemplateIds } from '@realtoros/queries';
import { Type } from '@sinclair/typebox';
import { HttpProblem, notFound } from '../errors/index.ts';
import { agentOf, requireAgent } from '../plugins/auth.ts';
import { execute } from '../plugins/commands.ts';
import { recordAudit } from '../audit.ts';
import { seqEtag, setEtag, withIfMatch, writeHeaders } from '../plugins/etag.ts';
import { previewPlanChange } from './plan-preview.ts';

const IdParams = Type.Object({ id: Uuid });
const errors = { 400: ProblemDetails, 401: ProblemDetails, 404: ProblemDetails, 409: ProblemDetails, 503: ProblemDetails };
const writeErrors = { ...errors, 412: ProblemDetails, 422: ProblemDetails };
const ETAG = 'Answers carry `ETag: "<version>"`; send it back in `If-Match` on PATCH/DELETE to refuse a stale write (412).';
const PREVIEW =
  'What applying the edit (the PATCH body) to the clients enrolled now would do — steps moved, added, removed — computed ' +
  'from the events with the same rules the scheduler applies; nothing is written. `apply_to` is ignored: the preview is ' +
  'always of `apply_to: current`.';

/**
 * Follow-up plans and enrolments. Plans and enrolments are the scheduler's aggregates: writes
 * become scheduler commands (it rules on steps, stage triggers and enrolment transitions);
 * reads come from the `plans` / `enrollments` read models through the shared queries (tenancy
 * included: another agent's plan, or a deleted one, is 404). A plan carries an ETag (its
 * aggregate's sequence); PATCH/DELETE accept If-Match. The preview is computed here, read-only,
 * with libs/planning — the same functions the scheduler applies an edit with.
 */
export const planRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.addHook('preHandler', requireAgent);
  const common = { tags: ['plans'], security: [{ bearer: [] }] };
  /** Another agent's plan, or a deleted one, is 404 before anything is sent (the scheduler refuses it too). */
  const ownPlan = async (agentId: string, planId: string) => {
    const plan = await getPlan(app.deps.db, agentId, planId);
    if (!plan) throw notFound('plan');
    return plan;
  };
  /** A step naming a template that is not one of the agent's live templates → 400 with its pointer (issue 10). */
  const checkTemplates = async (agentId: string, steps: readonly { template_id?: string | null | undefined }[] | undefined) => {
    const named = (steps ?? []).flatMap((s, i) => (s.template_id ? [{ i, id: s.template_id }] : []));
    if (named.length === 0) return;
    const missing = new Set(
      await missingTemplateIds(
        app.deps.db,
        agentId,
        named.map((n) => n.id),
      ),
    );
    const errors = named
      .filter((n) => missing.has(n.id))
      .map((n) => ({ pointer: `/steps/${n.i}/template_id`, detail: 'is not one of your templates' }));
    if (errors.length) throw new HttpProblem(400, 'Invalid request', 'a step names a template you do not have', errors);
  };

  app.get('/api/plans', { schema: { ...common, response: { 200: Type.Object({ items: Type.Array(Plan) }), ...errors } } }, async (req) => ({
    items: await listPlans(app.deps.db, agentOf(req).id),
  }));

  app.post(
    '/api/plans',
    {
      schema: {
        ...common,
        description: ETAG,
        headers: writeHeaders({ ifMatch: false }),
        body: PlanCreateBody,
        response: { 201: Plan, ...writeErrors },
      },
    },
    async (req, reply) => {
      await checkTemplates(agentOf(req).id, req.body.steps);
      const created = await execute<'scheduler', 'create_plan', PlanT>(app, req, 'scheduler', 'create_plan', req.body);
      await recordAudit(app, req, agentOf(req).id, 'plan.created', { target_type: 'plan', target_id: created.id });
      const plan = await getPlan(app.deps.db, agentOf(req).id, created.id);
      setEtag(reply, seqEtag(plan?.aggregate_seq));
      return reply.code(201).send(plan ?? created);
    },
  );

  app.get(
    '/api/plans/:id',
    { schema: { ...common, description: ETAG, params: IdParams, response: { 200: Plan, ...errors } } },
    async (req, reply) => {
      const plan = await getPlan(app.deps.db, agentOf(req).id, req.params.id);
      if (!plan) throw notFound('plan');
      setEtag(reply, seqEtag(plan.aggregate_seq));
      return plan;
    },
  );

  app.patch(
    '/api/plans/:id',
    {
      schema: {
        ...common,
        description: `A new version of the plan. \`apply_to: current\` moves the clients enrolled now onto it (see the preview); \`new\` (default) leaves them on theirs. ${ETAG}`,
        headers: writeHeaders({ ifMatch: true }),
        params: IdParams,
        body: PlanPatchBody,
        response: { 200: Plan, ...writeErrors },
      },
    },
    async (req, reply) => {
      const agentId = agentOf(req).id;
      const updated = await withIfMatch(req, async (expectedSeq) => {
        await ownPlan(agentId, req.params.id);
        await checkTemplates(agentId, req.body.steps);
        return execute<'scheduler', 'change_plan', PlanT>(
          app,
          req,
          'scheduler',
          'change_plan',
          { plan_id: req.params.id, changes: req.body },
          { expectedSeq },
        );
      });
      await recordAudit(app, req, agentId, 'plan.changed', { target_type: 'plan', target_id: req.params.id });
      const plan = await getPlan(app.deps.db, agentId, req.params.id);
      setEtag(reply, seqEtag(plan?.aggregate_seq));
      return plan ?? updated;
    },
  );

  app.delete(
    '/api/plans/:id',
    {
      schema: {
        ...common,
        description: 'Deletes the plan; the clients enrolled in it leave it (their pending steps are cancelled: `plan_deleted`).',
        headers: writeHeaders({ ifMatch: true }),
        params: IdParams,
        response: { 204: Type.Null(), ...writeErrors },
      },
    },
    async (req, reply) => {
      await withIfMatch(req, async (expectedSeq) => {
        await ownPlan(agentOf(req).id, req.params.id);
        return execute(app, req, 'scheduler', 'delete_plan', { plan_id: req.params.id }, { expectedSeq });
      });
      await recordAudit(app, req, agentOf(req).id, 'plan.deleted', { target_type: 'plan', target_id: req.params.id });
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/api/plans/:id/preview',
    { schema: { ...common, description: PREVIEW, params: IdParams, body: PlanPatchBody, response: { 200: PlanPreview, ...errors } } },
    async (req) => previewPlanChange(app.deps.db, agentOf(req).id, req.params.id, req.body),
  );

  // ---------------------------------------------------------------------------------------
  // Enrolment (one per client at a time)

  const enrollment = { ...common, tags: ['plans', 'clients'] };

  app.post(
    '/api/clients/:id/enrollment',
    {
      schema: {
        ...enrollment,
        description:
          'Enrols the client in the plan; a live enrolment in another plan ends (`replaced`). The same plan again changes nothing.',
        headers: writeHeaders({ ifMatch: false }),
        params: IdParams,
        body: EnrollBody,
        response: { 201: Enrollment, ...writeErrors },
      },
    },
    async (req, reply) => {
      const agentId = agentOf(req).id;
      if (!(await getClient(app.deps.db, agentId, req.params.id))) throw notFound('client');
      await ownPlan(agentId, req.body.plan_id);
      const enrolled = await execute<'scheduler', 'enroll_client', EnrollmentT>(app, req, 'scheduler', 'enroll_client', {
        client_id: req.params.id,
        plan_id: req.body.plan_id,
      });
      return reply.code(201).send((await getEnrollment(app.deps.db, agentId, req.params.id)) ?? enrolled);
    },
  );

  app.patch(
    '/api/clients/:id/enrollment',
    {
      schema: {
        ...enrollment,
        description:
          'pause (active → paused: pending steps are held), resume (paused → active: steps move on by the time paused), end (the plan stops; pending steps are cancelled). Another state → 409.',
        headers: writeHeaders({ ifMatch: false }),
        params: IdParams,
        body: EnrollmentPatchBody,
        response: { 200: Enrollment, ...writeErrors },
      },
    },
    async (req) => {
      const agentId = agentOf(req).id;
      if (!(await getClient(app.deps.db, agentId, req.params.id))) throw notFound('client');
      const changed = await execute<'scheduler', 'change_enrollment', EnrollmentT>(app, req, 'scheduler', 'change_enrollment', {
        client_id: req.params.id,
        action: req.body.action,
      });
      return (await getEnrollment(app.deps.db, agentId, req.params.id)) ?? changed;
    },
  );
};
