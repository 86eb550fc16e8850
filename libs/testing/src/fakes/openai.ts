import { startHttpFake, type HttpFake, type RecordedRequest } from './http-fake.ts';

export type ChatMessage = { role: string; content: string };
export type FakeOpenAI = HttpFake & {
  /** Base URL to give the SDK (`OPENAI_BASE_URL`), ending in `/v1`. */
  baseUrl: string;
  /** Chat-completion requests received (other paths are ignored). */
  completions(): RecordedRequest[];
  /** The prompt text (all messages joined) of a recorded request. */
  promptOf(req: RecordedRequest): string;
  /** Sets what the model "writes" (the assistant message content) for the following requests. */
  reply(fn: (messages: ChatMessage[]) => string | { subject: string; body: string }): void;
};

const defaultEmail = (messages: ChatMessage[]) => {
  const prompt = messages.map((m) => m.content).join('\n');
  const name = /name: ([^\n]+)/.exec(prompt)?.[1]?.split(' ')[0] ?? 'there';
  return {
    subject: 'Checking in about your home search',
    body: `Hi ${name},\n\nI wanted to follow up on our conversation and see how you are feeling about next steps. If anything has changed in what you are looking for, just reply and let me know.\n\nI'm happy to set up a time to talk whenever suits you.\n\nBest regards,\nYour agent`,
  };
};

/**
 * A local OpenAI-compatible server for `/v1/chat/completions`, driven through the real
 * `openai` SDK: records every request (prompt included) and answers with a completion whose
 * message content is JSON `{subject, body}`; can be scripted to fail (500, 429 with
 * retry-after), answer 400, delay or drop connections. `delayMs` (or `setDelay`) makes every
 * answer take that long, as a real model does (about a second).
 */
export async function startFakeOpenAI(opts: { delayMs?: number } = {}): Promise<FakeOpenAI> {
  let writer: (messages: ChatMessage[]) => string | { subject: string; body: string } = defaultEmail;
  const fake = await startHttpFake((req) => {
    const body = (req.body ?? {}) as { model?: string; messages?: ChatMessage[] };
    const out = writer(body.messages ?? []);
    const content = typeof out === 'string' ? out : JSON.stringify(out);
    return {
      status: 200,
      body: {
        id: `chatcmpl-fake-${Date.now()}`,
        object: 'chat.completion',
        created: Math.floor(Date.now() / 1000),
        model: body.model ?? 'fake-model',
        choices: [{ index: 0, message: { role: 'assistant', content, refusal: null }, finish_reason: 'stop', logprobs: null }],
        usage: { prompt_tokens: 100, completion_tokens: 100, total_tokens: 200 },
      },
    };
  }, { match: (method, path) => method === 'POST' && path.endsWith('/chat/completions'), ...opts });
  return Object.assign(fake, {
    baseUrl: `${fake.url}/v1`,
    completions: () => fake.requests.filter((r) => r.path.endsWith('/chat/completions')),
    promptOf: (req: RecordedRequest) => ((req.body as { messages?: ChatMessage[] } | null)?.messages ?? []).map((m) => m.content).join('\n'),
    reply: (fn: typeof writer) => {
      writer = fn;
    },
  });
}
