import OpenAI from 'openai';
import { buildPrompt } from '../prompt.ts';
import type { EmailDraft } from '../output-check.ts';
import type { EmailWriter } from './types.ts';

export type OpenAIWriterOptions = { apiKey: string; baseURL?: string | undefined; model: string; timeoutMs: number; maxRetries: number };

const EMAIL_SCHEMA = {
  type: 'object',
  properties: { subject: { type: 'string' }, body: { type: 'string' } },
  required: ['subject', 'body'],
  additionalProperties: false,
} as const;

/**
 * OpenAI (or any compatible server at `baseURL`) through the official SDK, asking for
 * structured output `{subject, body}`. The SDK bounds each try with `timeoutMs` and retries
 * connection errors, 408/409/429 and 5xx with exponential backoff, honouring `retry-after`.
 */
export function openAIWriter(opts: OpenAIWriterOptions): EmailWriter {
  const client = new OpenAI({
    apiKey: opts.apiKey,
    ...(opts.baseURL ? { baseURL: opts.baseURL } : {}),
    timeout: opts.timeoutMs,
    maxRetries: opts.maxRetries,
  });
  return {
    provider: 'openai',
    model: opts.model,
    async write(input): Promise<EmailDraft> {
      const prompt = buildPrompt(input);
      const res = await client.chat.completions.create({
        model: opts.model,
        messages: [
          { role: 'system', content: prompt.system },
          { role: 'user', content: prompt.user },
        ],
        response_format: { type: 'json_schema', json_schema: { name: 'followup_email', strict: true, schema: EMAIL_SCHEMA } },
        temperature: 0.7,
        max_completion_tokens: 800,
      });
      const choice = res.choices[0];
      if (!choice?.message.content) throw new Error(choice?.message.refusal ? 'the model refused' : 'empty answer');
      let parsed: unknown;
      try {
        parsed = JSON.parse(choice.message.content);
      } catch {
        throw new Error('answer is not JSON');
      }
      const { subject, body } = (parsed ?? {}) as Record<string, unknown>;
      if (typeof subject !== 'string' || typeof body !== 'string') throw new Error('answer lacks subject or body');
      return { subject: subject.trim(), body: body.trim() };
    },
  };
}
