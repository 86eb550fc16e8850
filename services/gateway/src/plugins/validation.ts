import { FORMATS } from '@realtoros/contracts';
import { Ajv, type Options } from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifyInstance } from 'fastify';

/** ajv-formats for everything else, then our own formats on top (one definition, shared with TypeBox). */
function withFormats(ajv: Ajv): Ajv {
  addFormats.default(ajv);
  // Overrides ajv-formats where it is looser: its date-time accepts second 60, which then
  // becomes an invalid Date in a query (a 500); `text` refuses what Postgres cannot store.
  for (const [name, validate] of Object.entries(FORMATS)) ajv.addFormat(name, { type: 'string', validate });
  ajv.addKeyword({ keyword: 'kind', schemaType: 'string' }).addKeyword('modifier');
  return ajv;
}

/**
 * Two validators: query strings and path params arrive as text, so they are coerced
 * ("20" → 20); JSON bodies are validated as sent, so `{"budget": 650000}` is never turned
 * into a string by a union that happens to list string first.
 */
export function registerValidation(app: FastifyInstance): void {
  const base: Options = { allErrors: true, removeAdditional: false, useDefaults: true, strict: false };
  const coercing = withFormats(new Ajv({ ...base, coerceTypes: 'array' }));
  const exact = withFormats(new Ajv({ ...base, coerceTypes: false }));
  app.setValidatorCompiler(({ schema, httpPart }) => (httpPart === 'body' ? exact : coercing).compile(schema));
}
