/**
 * Guardrails for what the AI may say in an agent's name. The agent carries the legal risk of an
 * email they did not write, so a draft that steers a buyer by a class the US Fair Housing Act
 * protects (race, color, religion, sex, disability, familial status, national origin), or that
 * promises a price or legal outcome, is refused and the template email stands in.
 *
 * The rules are a short list of plain regular expressions per category, not a classifier: an
 * agent reading the review queue can see why a draft was refused, and an engineer can see why a
 * phrase matched. Mentioning a thing (a church, a wheelchair ramp, a kids' bedroom, a family
 * room) is allowed; steering is saying who the place is for, or who lives there.
 *
 * False positives accepted, because the cost is only a template email instead of the AI's:
 * - "guarantee" for a product or a term ("a 10-year roof guarantee", "the rate lock is guaranteed
 *   for 45 days") and the lender Guaranteed Rate;
 * - "no risk" in an invitation ("no risk in taking a look");
 * - "great for families" / "perfect for couples" even when meant kindly: it still says who the
 *   home is for, which is the preference the Act forbids;
 * - "you'll fit right in" said of a person and a hobby club;
 * - a colour before "area" that is about a surface ("black areas on the ceiling").
 * Known false negatives: coded words that depend on context ("safe", "quiet", "up-and-coming",
 * "good schools"), steering spread across sentences, and spellings we do not list.
 */

/**
 * Every category a guardrail problem starts with; `isGuardrailProblem` tells them apart from the
 * other checks. They all begin "steers by", "steers with" or "promises", which is also what
 * task-due.ts looks for in a joined fallback reason to send the draft to review.
 */
export const GUARDRAIL_CATEGORIES = [
  'steers by race or color',
  'steers by religion',
  'steers by sex',
  'steers by disability',
  'steers by familial status',
  'steers by national origin',
  'steers with exclusionary wording',
  'promises a price or legal outcome',
] as const;

export type GuardrailCategory = (typeof GUARDRAIL_CATEGORIES)[number];

/** Longest quoted phrase: the reason must stay readable in a one-line review-queue entry. */
export const MAX_QUOTE = 60;

// Shared fragments. Matching is case-insensitive; curly apostrophes are straightened first.
const NEIGHBOURHOOD = String.raw`neighbou?rhoods?`;
const NEIGHBOURS = String.raw`neighbou?rs?`;
// Words for "the people or place" that turn an adjective of origin or faith into steering.
// "community" and "area" exclude the things they name in listings (a community center, an area rug);
// singular "family" is left out because White, Black, Brown... are also surnames ("the White family").
const PEOPLE = String.raw`(?:families|people|folks|buyers?|${NEIGHBOURS}|${NEIGHBOURHOOD}|communit(?:y|ies)(?!\s+(?:cent(?:er|re)s?|colleges?|gardens?|pools?|halls?|rooms?|boards?))|areas?(?!\s+rugs?)|residents?|households?|population|crowd|enclaves?|(?:part|side|end) of town|couples?|tenants?|homeowners?)\b`;
// How much of an area a group makes up: "mostly Hispanic", "predominantly Christian".
const DEGREE = String.raw`(?:very|mostly|mainly|predominantly|largely|overwhelmingly|primarily|heavily|almost entirely|entirely|almost all|all)`;
// "perfect for", "ideal for"...: saying who the home suits.
const SUITED_FOR = String.raw`\b(?:perfect|ideal|great|good|best|suited|suitable|made|meant|designed|built|tailored|geared)\s+for\s+(?:an?\s+|the\s+)?`;
// A sentence-bounded gap, so two phrases only pair up when they are said together.
const GAP = String.raw`[^.!?\n]{0,50}?`;
const CERTAIN = String.raw`(?:definitely|certainly|surely|absolutely|undoubtedly|100%|for sure)`;
const NOT_BEFORE = String.raw`(?<!\b(?:no|not|never|nothing|isn't|aren't|wasn't|can't|cannot|won't|don't|doesn't|couldn't|wouldn't)\s+(?:\w+\s+)?)`;

const RACE = String.raw`(?:white|black|caucasian|asian|african[- ]american|colou?red)`;
const ORIGIN = String.raw`(?:hispanic|latin[oaxe]s?|mexican|chinese|indian|korean|japanese|vietnamese|filipino|arab|middle[- ]eastern|african|european|irish|italian|polish|russian|ukrainian|somali|haitian|cuban|puerto rican|dominican|caribbean|immigrants?|foreign(?:ers?)?)`;
const FAITH = String.raw`(?:christians?|catholics?|protestants?|evangelicals?|baptists?|methodists?|lutherans?|mormons?|jewish|jews|muslims?|islamic|hindus?|sikhs?|buddhists?)`;
// A place of worship, but not a street named after one ("12 Church Street").
const WORSHIP = String.raw`\b(?:church(?:es)?|synagogues?|mosques?|temples?|parish(?:es)?|chapels?|cathedrals?)\b(?!\s+(?:st(?:reet)?|rd|road|ave(?:nue)?|lane|ln|hill|drive|dr|way|place|pl|court|ct|blvd|boulevard)\b)`;
const BELONGING = String.raw`(?:fit\s+(?:right\s+)?in|feel\s+(?:right\s+)?at\s+home|belong|like-minded|your\s+(?:own\s+)?(?:kind|people|faith))`;

const rx = (source: string) => new RegExp(source, 'i');

const RULES: readonly { category: GuardrailCategory; patterns: readonly RegExp[] }[] = [
  {
    category: 'steers by race or color',
    patterns: [
      rx(String.raw`\b(?:${DEGREE}\s+)?${RACE}\s+${PEOPLE}`), // "a very white neighbourhood", "good for Asian families"
      rx(String.raw`\b(?:people|families|folks|residents|${NEIGHBOURS}|buyers)\s+of\s+colou?r\b`),
    ],
  },
  {
    category: 'steers by religion',
    patterns: [
      rx(String.raw`\b${DEGREE}\s+${FAITH}\b`), // "mostly Christian"
      rx(String.raw`\b${FAITH}\s+${PEOPLE}`), // "Jewish neighbourhood", "Catholic families"
      rx(`${WORSHIP}${GAP}\\b${BELONGING}`), // "close to churches so you'll feel at home"
      rx(String.raw`\b${BELONGING}${GAP}${WORSHIP}`),
    ],
  },
  {
    category: 'steers by sex',
    patterns: [
      // "man" is not "man cave", "girls" is not "girls' night": those describe a room or an evening.
      rx(
        String.raw`${SUITED_FOR}(?:bachelors?|bachelorettes?|single\s+(?:m[ae]n|wom[ae]n|guys?|gals?|lad(?:y|ies)|moms?|mums?|mothers?|dads?|fathers?)|gentlem[ae]n|lad(?:y|ies)|m[ae]n(?!\s+caves?)|wom[ae]n|guys|girls|boys)\b(?!')`,
      ),
      rx(String.raw`\b(?:m[ae]n|wom[ae]n|males?|females?|ladies|gentlemen)[- ]only\b`),
      rx(String.raw`\bno\s+(?:men|women|males|females)\b`),
    ],
  },
  {
    category: 'steers by disability',
    patterns: [
      rx(String.raw`\bable[- ]bodied\b`),
      // "not suitable for wheelchair users" is about people; "not wheelchair accessible" describes the home and passes.
      rx(
        String.raw`\bnot\s+(?:suitable|suited|ideal|good|great|right|meant|made|recommended|appropriate|for)\s+(?:for\s+)?(?:the\s+|anyone\s+(?:in|with)\s+(?:a\s+)?|people\s+(?:in|with)\s+(?:a\s+)?)?(?:wheelchairs?(?:\s+users?)?|disabled|disabilit(?:y|ies)|handicapped|blind|deaf|mentally ill)\b`,
      ),
      rx(String.raw`\b(?:no|without)\s+(?:wheelchairs|disabled|handicapped|the disabled|the handicapped|mentally ill)\b`),
    ],
  },
  {
    category: 'steers by familial status',
    patterns: [
      // 55+ housing is a legal exemption, but the AI still must not say who is kept out.
      rx(String.raw`\b(?:no|without(?:\s+any)?)\s+(?:kids|children|child|minors|teenagers|toddlers|babies)\b(?!')`),
      rx(String.raw`\b(?:kids|children)\s+(?:are\s+)?not\s+(?:allowed|welcome|permitted)\b`),
      rx(String.raw`\b(?:child|kid)[- ]?free\b`),
      rx(String.raw`\badults?[- ]only\b`),
      rx(String.raw`\bnot\s+(?:suitable|suited|ideal|good|great|right|meant|made|for)\s+(?:for\s+)?(?:kids|children|families)\b`),
      rx(
        String.raw`${SUITED_FOR}(?:couples?|singles|empty[- ]nesters|retirees|mature\s+(?:adults|buyers|couples?)|(?:young\s+|growing\s+|large\s+|small\s+)?families)\b`,
      ),
    ],
  },
  {
    category: 'steers by national origin',
    patterns: [
      rx(String.raw`\b${DEGREE}\s+${ORIGIN}\b`), // "the area is mostly Hispanic"
      rx(String.raw`\b${ORIGIN}\s+${PEOPLE}`),
      rx(String.raw`\b[a-z]+[- ]speaking\s+${PEOPLE}(?:\s+only\b)?`), // "English-speaking neighbours only"
      rx(String.raw`\b(?:english|speak\s+english)\s+only\b`),
      rx(String.raw`\b(?:no|few|not many)\s+(?:foreigners|immigrants)\b`),
    ],
  },
  {
    category: 'steers with exclusionary wording',
    patterns: [
      rx(
        String.raw`\b(?:the\s+)?(?:right|wrong)\s+(?:kind|sort|type|class)\s+of\s+(?:people|${NEIGHBOURS}|families|folks|residents|buyers|crowd|person)\b`,
      ),
      // "exclusive listing" is ordinary; an exclusive *neighbourhood* is about who gets in. Deed- and
      // age-restricted communities are legal terms for covenants and 55+ housing.
      rx(
        String.raw`\b(?:exclusive|(?<!\b(?:deed|age)[- ])restricted|selective|homogen(?:e)?ous)\s+(?:[a-z]+\s+)?(?:${NEIGHBOURHOOD}|communit(?:y|ies)|areas?|enclaves?|subdivisions?|(?:part|side) of town|clientele|residents|crowd)\b`,
      ),
      // Said of the client, not of furniture or a diary ("you'll fit in a showing" is about time).
      rx(
        String.raw`\byou(?:'ll|'d|\s+will|\s+would)?\s+(?:really\s+|totally\s+)?(?:fit|blend)\s+(?:right\s+)?in\b(?!\s+(?:an?|one|some|time|another)\b)`,
      ),
      rx(String.raw`\b(?:${NEIGHBOURS}|families|folks|residents)\s+(?:just\s+)?like\s+(?:you|yourself)\b`),
      rx(
        String.raw`\b(?:undesirables?|those people|the wrong element|your own kind|like-minded\s+(?:${NEIGHBOURS}|people|families|folks|residents))\b`,
      ),
    ],
  },
  {
    category: 'promises a price or legal outcome',
    patterns: [
      rx(String.raw`${NOT_BEFORE}\bguarantee[ds]?\b`), // "I can't guarantee" and "nothing is guaranteed" pass
      rx(String.raw`\bappreciate\s+(?:by\s+)?(?:at\s+least\s+)?\d+(?:\.\d+)?\s*(?:%|percent)`),
      rx(
        String.raw`\b(?:home|house|property|condo|place|investment|values?|prices?|it|this)\s+(?:will|is going to|are going to|is sure to|are sure to|is bound to|are bound to|can only|will only)\s+(?:${CERTAIN}\s+)?(?:keep\s+|continue\s+to\s+)?(?:appreciat(?:e|ing)|go(?:ing)?\s+up|ris(?:e|ing)|increas(?:e|ing)|climb(?:ing)?|gain(?:ing)?\s+value|skyrocket(?:ing)?|soar(?:ing)?|doubl(?:e|ing))\b`,
      ),
      rx(String.raw`\b(?:can|will)\s+only\s+(?:go\s+up|rise|increase|climb|appreciate|grow)\b`),
      rx(String.raw`\b(?:never|won't|will not|can't|cannot)\s+(?:ever\s+)?(?:go\s+down|drop|fall|decline|lose\s+value|depreciate)\b`),
      rx(
        String.raw`(?:\bwill|'ll)\s+${CERTAIN}\s+(?:be\s+)?(?:get|win|close|sell|appreciate|approve|approved|accept|accepted|pass|qualify|go\s+up|rise|increase|make)\b(?:\s+[\w']+){0,3}`,
      ),
      rx(
        String.raw`\bwill\s+(?:approve|accept|pass|sell|close|appreciate|go\s+up|qualify|get)\b${GAP}\b(?:for\s+sure|for\s+certain|no\s+doubt|without\s+a\s+doubt|100%)`,
      ),
      rx(String.raw`\byou(?:'ll|\s+will)\s+(?:get|have)\s+(?:your|the|an|this)\s+offer\s+accepted\b`),
      rx(String.raw`\b(?:your|the)\s+offer\s+will\s+(?:${CERTAIN}\s+)?be\s+accepted\b`),
      rx(
        String.raw`\bwill\s+(?:${CERTAIN}\s+)?(?:easily\s+)?(?:pass\s+(?:the\s+|any\s+|its\s+|an?\s+)?(?:home\s+)?(?:inspections?|appraisals?)|appraise\s+(?:at|for|above|over))`,
      ),
      rx(
        String.raw`\bwill\s+(?:${CERTAIN}\s+)?sell\s+(?:above|over|for\s+more|fast|quickly|within|in\s+(?:a|one|two|\d+)\s+(?:days?|weeks?))\b`,
      ),
      rx(String.raw`\b(?:no|zero)\s+risk\b|\brisk[- ]free\b|\bwithout\s+(?:any\s+)?risk\b`),
      rx(String.raw`\b(?:can't|cannot|can not|won't|will not|never)\s+lose\s+(?:money|value|a\s+(?:dime|penny|cent)|out)\b`),
      rx(
        String.raw`\byou(?:'ll|\s+will)\s+(?:${CERTAIN}\s+)?(?:make|earn|turn)\s+(?:money|a\s+(?:nice\s+|big\s+|quick\s+|good\s+)?profit)\b`,
      ),
      rx(String.raw`\blegally\b${GAP}\b(?:protected|covered|safe|in the clear|bulletproof)\b`), // "legally you're fully protected"
      rx(
        String.raw`\byou(?:'re|\s+are|'ll\s+be|\s+will\s+be)\s+(?:fully|completely|totally|100%)\s+(?:legally\s+)?(?:protected|covered)\b`,
      ),
      rx(
        String.raw`\b(?:won't|will not|don't|do not|wouldn't|never)\s+(?:have\s+to\s+)?(?:owe|pay)\s+(?:any\s+)?(?:[a-z]+\s+)?tax(?:es)?\b`,
      ),
      rx(
        String.raw`\bowe\s+(?:no|nothing|zero)\b${GAP}\btax(?:es)?\b|\b(?:sale|profit|gain)s?\s+(?:is|are|will\s+be)\s+(?:completely\s+)?tax[- ](?:free|exempt)\b`,
      ),
    ],
  },
];

/**
 * The guardrail problems in a text the AI wrote in an agent's name: at most one per category,
 * each "<category> (“<phrase>”)", quoting the first phrase that matched (≤ MAX_QUOTE characters)
 * so the agent sees what to avoid. Empty means nothing was found.
 */
export function guardrailProblems(text: string): string[] {
  const straightened = text.replace(/[‘’ʼ]/g, "'");
  return RULES.flatMap(({ category, patterns }) => {
    const phrase = patterns.map((p) => p.exec(straightened)?.[0]).find((m) => m !== undefined);
    return phrase === undefined ? [] : [`${category} (“${quote(phrase)}”)`];
  });
}

/** The category of a problem string from `guardrailProblems`, or undefined for any other problem. */
export function guardrailCategory(problem: string): GuardrailCategory | undefined {
  return GUARDRAIL_CATEGORIES.find((c) => problem.startsWith(`${c} (“`));
}

/** Whether a problem came from these guardrails (legal risk) rather than the format checks. */
export function isGuardrailProblem(problem: string): boolean {
  return guardrailCategory(problem) !== undefined;
}

// One line, no control characters (the reason is stored in an event), cut by code point so an
// emoji is never split into a lone surrogate.
function quote(phrase: string): string {
  const oneLine = phrase
    .replace(/[^\p{L}\p{M}\p{N}\p{P}\p{S}\p{Zs}]/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  const chars = [...oneLine];
  return chars.length <= MAX_QUOTE ? oneLine : `${chars.slice(0, MAX_QUOTE - 1).join('')}…`;
}

/** Whether a fallback reason ("openai output rejected: a; b") names a guardrail problem: the ai-agent then sends the email to review. */
export const hasGuardrailProblem = (reason: string): boolean => GUARDRAIL_CATEGORIES.some((c) => reason.includes(`${c} (`));
