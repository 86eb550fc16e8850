import type { GenerationInput } from '../prompt.ts';
import type { EmailDraft } from '../output-check.ts';

/** Something that writes an email draft for one client and follow-up. */
export type EmailWriter = {
  provider: string;
  model: string;
  write(input: GenerationInput): Promise<EmailDraft>;
};
