import { proxyDownload } from '#lib/server/download.ts';
import { UUID_RE } from '#lib/server/task-actions.ts';
import type { RequestHandler } from './$types';

/** The gateway's `GET /api/imports/{id}/report.csv`: the rejected rows (Row, Problem, then the file's own columns). */
export const GET: RequestHandler = ({ locals, params }) => {
  if (!UUID_RE.test(params.id)) return new Response('This import does not exist.', { status: 404 });
  return proxyDownload(locals.token, `/api/imports/${params.id}/report.csv`, { what: 'report' });
};
