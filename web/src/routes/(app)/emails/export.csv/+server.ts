import { proxyDownload } from '#lib/server/download.ts';
import type { RequestHandler } from './$types';

/** The gateway's `GET /api/emails/export.csv`, with the list's filters. */
export const GET: RequestHandler = ({ locals, url }) =>
  proxyDownload(locals.token, '/api/emails/export.csv', { query: url.searchParams, keys: ['status', 'client_id'], what: 'export' });
