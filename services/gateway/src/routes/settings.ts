import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AgentSettings } from '@realtoros/contracts';
import { AgentSettingsPatchBody, AgentSettingsView, ProblemDetails } from '@realtoros/contracts';
import { validateWindow } from '@realtoros/planning';
import { getSettings } from '@realtoros/queries';
import { HttpProblem } from '../errors/index.ts';
import { agentOf, requireAgent } from '../plugins/auth.ts';
import { execute } from '../plugins/commands.ts';
import { writeHeaders } from '../plugins/etag.ts';
import { recordAudit } from '../audit.ts';

const errors = { 400: ProblemDetails, 401: ProblemDetails, 404: ProblemDetails, 409: ProblemDetails, 503: ProblemDetails };
const writeErrors = { ...errors, 422: ProblemDetails };
const SETTINGS =
  'The sending window planned steps are placed in (`time_zone` IANA; `business_days` ISO weekdays, 1 = Monday; ' +
  '`window_start`/`window_end` "HH:MM" local, end after start; `holidays` "YYYY-MM-DD"), the daily cap on automated ' +
  'emails (`daily_cap` ≥ 1), and email defaults. Fields never set read as the defaults.';

/**
 * The agent's settings: stored by crm (AgentSettingsChanged on the agent's subject), read from
 * the `agent_settings` read model merged over the defaults. A PATCH is checked as the window
 * it would leave (current settings + the changes), so a change of `window_start` alone that
 * passes the stored end is refused with a pointer to `/window_end`, before anything is sent.
 */
export const settingsRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.addHook('preHandler', requireAgent);
  const common = { tags: ['settings'], security: [{ bearer: [] }] };

  app.get('/api/settings', { schema: { ...common, description: SETTINGS, response: { 200: AgentSettingsView, ...errors } } }, async (req) =>
    getSettings(app.deps.db, agentOf(req).id),
  );

  app.patch(
    '/api/settings',
    {
      schema: {
        ...common,
        description: `${SETTINGS} Send only what changes; the window as it would then stand must be valid (400 with pointers).`,
        headers: writeHeaders({ ifMatch: false }),
        body: AgentSettingsPatchBody,
        response: { 200: AgentSettingsView, ...writeErrors },
      },
    },
    async (req) => {
      const agentId = agentOf(req).id;
      const current = await getSettings(app.deps.db, agentId);
      const issues = validateWindow({ ...current, ...definedOnly(req.body) });
      if (issues.length > 0) throw new HttpProblem(400, 'Invalid request', 'The sending window these settings leave is invalid.', issues);
      const saved = await execute<'crm', 'update_settings', AgentSettings>(app, req, 'crm', 'update_settings', { changes: req.body });
      // Read back after read-your-writes; should the read model still lag, the crm's own answer.
      const after = await getSettings(app.deps.db, agentId);
      await recordAudit(app, req, agentId, 'settings.changed', { detail: { keys: Object.keys(definedOnly(req.body)).sort() } });
      return req.committedWrite?.projected === false ? saved : after;
    },
  );
};

const definedOnly = <T extends object>(o: T): Partial<T> =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
