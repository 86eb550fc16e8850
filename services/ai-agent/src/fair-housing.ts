/**
 * Guardrails on what the AI may write in an agent's name (HUD 2024 guidance: the agent answers
 * for it). Two kinds of text are refused:
 * - steering by a class the Fair Housing Act protects — race, colour, religion, sex,
 *   disability, familial status, national origin — e.g. "great for young families without
 *   kids", "mostly Christian area";
 * - promises about price or legal outcomes ("guaranteed to sell above asking", "you can't
 *   lose money", "legally you're fully protected").
 *
 * A short list of clear patterns per category, matched case-insensitively on word
 * boundaries, British and American spellings. Deliberately strict: a refused draft only
 * means the template stands in, or the agent reviews it with the reason — a false positive
 * costs a click, a false negative an agent's licence. Accepted false positives: "a church
 * you'll love" (the building, as a landmark) is refused; describing rooms ("the kids'
 * bedroom", "family room") and street names ("Church Street") pass.
 */
export type GuardrailCategory =
  | 'race or colour'
  | 'religion'
  | 'national origin'
  | 'sex'
  | 'disability'
  | 'familial status'
  | 'steering words'
  | 'a price or legal outcome';

const RULES: { category: GuardrailCategory; patterns: RegExp[] }[] = [
  {
    category: 'familial status',
    patterns: [
      /\b(?:without|no|free of|away from)\s+(?:any\s+)?(?:kids|children|families|teenagers|babies)\b/i,
      /\b(?:adults?[- ]only|child[- ]free|no[- ]kids)\b/i,
      /\b(?:perfect|ideal|great|best)\s+for\s+(?:a\s+)?(?:young\s+)?(?:couples?|singles?|bachelors?|empty[- ]nesters|retirees|young professionals)\b/i,
      /\b(?:not|isn'?t)\s+(?:suitable|ideal|great|good|right)\s+for\s+(?:families|kids|children)\b/i,
    ],
  },
  {
    category: 'religion',
    patterns: [
      /\b(?:mostly|predominantly|largely|very|heavily|mainly)\s+(?:christian|catholic|jewish|muslim|hindu|protestant|mormon|religious)\b/i,
      /\b(?:christian|catholic|jewish|muslim|hindu|protestant|mormon)\s+(?:area|neighbou?rhood|community|families|neighbou?rs|part of town)\b/i,
      /\b(?:near|close to|by|next to)\s+(?:the\s+|a\s+)?(?:synagogue|mosque|churches|church|temple|parish)\b.{0,60}\b(?:fit (?:right )?in|feel (?:at )?home|your (?:kind|people))\b/i,
    ],
  },
  {
    category: 'race or colour',
    patterns: [
      /\b(?:very|mostly|predominantly|all|largely|mainly)\s+(?:white|black|asian|hispanic|latino|latina|african[- ]american)\b/i,
      /\b(?:white|black|asian|hispanic|latino|african[- ]american)\s+(?:area|neighbou?rhood|community|families|neighbou?rs|part of town|people)\b/i,
      /\b(?:good|great|perfect|ideal)\s+for\s+(?:white|black|asian|hispanic|latino|indian|chinese|korean|mexican)\b/i,
    ],
  },
  {
    category: 'national origin',
    patterns: [
      /\b(?:english[- ]speaking|american[- ]born|native[- ]born)\s+(?:neighbou?rs|residents|people|families|only)\b/i,
      /\b(?:no|few|not many)\s+(?:immigrants|foreigners)\b/i,
    ],
  },
  {
    category: 'sex',
    patterns: [/\b(?:perfect|ideal|great)\s+for\s+(?:a\s+)?(?:man|woman|men|women|gentleman|lady|ladies)\b/i, /\b(?:men|women)[- ]only\b/i],
  },
  {
    category: 'disability',
    patterns: [
      /\b(?:not suitable|unsuitable|not ideal|not for)\s+(?:for\s+)?(?:wheelchair(?:\s+users)?|the disabled|disabled people|handicapped)\b/i,
      /\b(?:able[- ]bodied|no wheelchairs|no disabled|healthy buyers only)\b/i,
    ],
  },
  {
    category: 'steering words',
    patterns: [
      /\b(?:the right kind of (?:people|neighbou?rs|families)|your kind of people|people like you|you'?(?:d| will|ll) fit (?:right )?in with the (?:locals|neighbou?rs))\b/i,
      /\brestricted\s+(?:community|neighbou?rhood|area)\b/i,
      /\bexclusive\s+(?:community|neighbou?rhood|area)\s+(?:for|of)\b/i,
    ],
  },
  {
    category: 'a price or legal outcome',
    patterns: [
      /\b(?:guarantee[ds]?|guaranteed to)\b/i,
      /\bwill\s+(?:definitely\s+|certainly\s+|surely\s+)?(?:appreciate|go up|increase in value|sell (?:above|over|for more))\b/i,
      /\bprices?\s+(?:can|will)\s+only\s+go\s+up\b/i,
      /\b(?:can'?t|cannot|won'?t|will not)\s+lose\s+(?:money|value)\b/i,
      /\b(?:no|zero)\s+risk\b/i,
      /\b(?:definitely|certainly|for sure)\s+(?:get|be)\s+(?:your offer\s+)?accepted\b|\byour offer\s+will\s+(?:definitely|certainly|surely)?\s*be\s+accepted\b/i,
      /\bwill\s+(?:definitely\s+|surely\s+)?pass\s+(?:the\s+)?inspection\b/i,
      /\bwill\s+approve\s+it\s+for\s+sure\b|\bfor sure\b.{0,30}\bapprove\b/i,
      /\blegally\s+(?:you'?re|you are)\s+(?:fully\s+)?(?:protected|covered|safe)\b/i,
      /\bwon'?t\s+owe\s+(?:any\s+)?(?:taxes|tax)\b/i,
    ],
  },
];

const PREFIX = { steer: 'steers by', promise: 'promises' } as const;
const quote = (s: string) => `“${s.trim().replace(/\s+/g, ' ').slice(0, 60)}”`;

/** The guardrail problems of a text: "steers by familial status (“without kids”)", "promises a price or legal outcome (“guaranteed”)". */
export function fairHousingProblems(text: string): string[] {
  const problems: string[] = [];
  for (const { category, patterns } of RULES) {
    for (const p of patterns) {
      const m = p.exec(text);
      if (!m) continue;
      const lead = category === 'a price or legal outcome' ? PREFIX.promise : category === 'steering words' ? 'steers with' : PREFIX.steer;
      problems.push(`${lead} ${category} (${quote(m[0])})`);
      break; // one problem per category is enough to refuse and explain
    }
  }
  return problems;
}

/** Whether a fallback reason names a guardrail problem (the ai-agent then sends the email to review). */
export const hasGuardrailProblem = (reason: string): boolean => /\b(?:steers by|steers with|promises a price or legal outcome)\b/.test(reason);
