import { proxyDownload } from '#lib/server/download.ts';
import type { RequestHandler } from './$types';

/** The gateway's `GET /api/clients/export.csv`, with the list's filters. */
export const GET: RequestHandler = ({ locals, url }) =>
  proxyDownload(locals.token, '/api/clients/export.csv', {
    query: url.searchParams,
    keys: ['stage', 'property_type', 'q', 'tag'],
    what: 'export',
  });
