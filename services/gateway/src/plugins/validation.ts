import { Ajv, type Options } from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifyInstance } from 'fastify';

/**
 * Two validators: query strings and path params arrive as text, so they are coerced
 * ("20" → 20); JSON bodies are validated as sent, so `{"budget": 650000}` is never turned
 * into a string by a union that happens to list string first.
 */
export function registerValidation(app: FastifyInstance): void {
  const base: Options = { allErrors: true, removeAdditional: false, useDefaults: true, strict: false };
  const coercing = addFormats.default(new Ajv({ ...base, coerceTypes: 'array' }));
  const exact = addFormats.default(new Ajv({ ...base, coerceTypes: false }));
  for (const ajv of [coercing, exact]) ajv.addKeyword({ keyword: 'kind', schemaType: 'string' }).addKeyword('modifier');
  app.setValidatorCompiler(({ schema, httpPart }) => (httpPart === 'body' ? exact : coercing).compile(schema));
}
