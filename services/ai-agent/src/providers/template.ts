import { createHash } from 'node:crypto';
import type { ClientStage, FollowupType, PropertyType } from '@realtoros/contracts';
import { firstName } from '../facts.ts';
import type { GenerationInput } from '../prompt.ts';
import type { EmailDraft } from '../output-check.ts';
import type { EmailWriter } from './types.ts';

/**
 * The offline writer: personal emails from this client's facts without any AI, varied by
 * follow-up kind, stage and property type, with the variant picked from a stable seed (so a
 * retry writes the same email and neighbouring clients get different ones). Always under
 * 200 words. Also the fallback when the AI provider fails or its output is rejected.
 * The client's notes are never copied in: they are free text and may hold anything.
 */
export const TEMPLATE_MODEL = 'template-v1';

type Pick = <T>(options: readonly T[]) => T;

const OPENERS: Record<FollowupType, readonly string[]> = {
  'Day 1': [
    'It was great connecting with you yesterday, and thank you for taking the time to talk.',
    'Thank you again for reaching out. I really enjoyed our first conversation.',
    'I wanted to follow up right away after we spoke, while everything is fresh.',
  ],
  'Day 3': [
    'I hope your week is going well.',
    'I have been thinking about our conversation from a few days ago.',
    'Just a quick note to check in since we last spoke.',
  ],
  'Week 1': [
    'It has been about a week since we connected, so I wanted to check in.',
    'A week has flown by since we talked, and I wanted to see how you are doing.',
    'I hope the past week has been a good one.',
  ],
  'Week 2': [
    'A couple of weeks have passed since we spoke, and I wanted to see how things are going.',
    'I hope you have had a good couple of weeks.',
    'It has been two weeks since we talked, so I wanted to touch base.',
  ],
  'Month 1': [
    'It has been about a month since we first connected, and I hope all is well.',
    'I can hardly believe a month has gone by since we first talked.',
    'I wanted to reach out now that a month has passed since our first conversation.',
  ],
  Custom: [
    'I wanted to reach out with a quick personal note.',
    'I hope you are doing well.',
    'I was thinking of you today and wanted to check in.',
  ],
};

const STAGE_LINES: Record<ClientStage, readonly string[]> = {
  lead: [
    "I'd love to learn more about what you are looking for: your timing, your must-haves and the areas you are drawn to.",
    'Whenever you are ready, I can put together a short list of options that match what matters most to you.',
  ],
  contacted: [
    'I have been keeping an eye on new listings that fit what you described, and a few look promising.',
    'Based on what you shared, I have started noting options that could be a good fit for you.',
  ],
  qualified: [
    'Now that we have a clear picture of your budget and priorities, I can start lining up viewings at times that suit you.',
    'With your priorities clear, this is a great moment to start touring the places that fit best.',
  ],
  negotiating: [
    'I know negotiations can feel like a lot. I am tracking every detail on our side and will keep you posted the moment anything moves.',
    'We are in a good position in the negotiation, and I will make sure you have everything you need to decide with confidence.',
  ],
  under_contract: [
    'Being under contract is a big milestone. Inspection, appraisal and financing come next, and I will keep you ahead of each deadline.',
    'We are under contract, so the next few weeks are about paperwork and deadlines. I will handle the coordination and flag anything that needs you.',
  ],
  closed: [
    'Congratulations again on closing! I hope settling in has gone smoothly.',
    'I hope you are enjoying the new chapter since closing. It was a pleasure working with you.',
  ],
  lost: [
    'I know the timing was not right before, and that is completely fine. The market has shifted since we last spoke.',
    'Plans change, and that is perfectly normal. If your situation has changed, I would be glad to pick things up again.',
  ],
};

const PROPERTY_WORD: Record<PropertyType, string> = {
  residential: 'home', commercial: 'commercial space', land: 'land', multi_family: 'multi-family property', rental: 'rental property',
};

const PROPERTY_LINES: Record<PropertyType, readonly ((where: string) => string)[]> = {
  residential: [
    (w) => `I have been thinking about ${w} and what would make it feel like the right home for you.`,
    (w) => `Homes like ${w} are drawing steady interest right now, so good timing matters.`,
  ],
  commercial: [
    (w) => `For ${w}, location, zoning and lease terms will shape the value, and I am happy to walk through them with you.`,
    (w) => `Commercial demand around ${w} has been active, and I can share what comparable spaces are doing.`,
  ],
  land: [
    (w) => `With ${w}, zoning, access and utilities make all the difference, and I can help you check each one.`,
    (w) => `Land like ${w} rewards patience and good research, and I am glad to help with both.`,
  ],
  multi_family: [
    (w) => `For ${w}, rental income and upkeep are the numbers that matter most, and I can help you run them.`,
    (w) => `Multi-family properties like ${w} can be a strong investment, and I can share recent comparables.`,
  ],
  rental: [
    (w) => `For ${w}, I can share what similar rentals in the area are going for right now.`,
    (w) => `Rentals like ${w} move quickly when priced well, and I am happy to help you plan around that.`,
  ],
};

const DETAIL_KEYS: readonly [RegExp, (v: string) => string][] = [
  [/budget|price/i, (v) => `I am keeping your budget of ${v} front of mind.`],
  [/bed/i, (v) => `I am focusing on places with ${v} bedrooms, as you mentioned.`],
  [/area|neighbou?rhood|location|city|town/i, (v) => `I am paying special attention to ${v}.`],
  [/timeline|move|timing/i, (v) => `With your timeline of ${v} in mind, we have room to plan this well.`],
];

const ASKS: Record<FollowupType, readonly string[]> = {
  'Day 1': ['Would you have fifteen minutes this week for a quick call about next steps?', 'What would be most helpful for you as a next step?'],
  'Day 3': ['Is there anything I can look into for you this week?', 'Do you have any questions I can answer in the meantime?'],
  'Week 1': ['Would it help to set up a time to talk this week?', 'Has anything changed in what you are looking for?'],
  'Week 2': ['I am here whenever you would like to talk things through.', 'Let me know if you would like a fresh update on the market.'],
  'Month 1': ['Whenever you are ready for the next step, just reply to this email.', 'If there is anything I can do for you, I would love to hear from you.'],
  Custom: ['Just reply to this email if there is anything I can help with.', 'I would be glad to hear how things are going.'],
};

const SUBJECTS: Record<FollowupType, readonly ((name: string, what: string) => string)[]> = {
  'Day 1': [(n) => `Great to connect, ${n}`, (n) => `Thank you, ${n}`, (_n, w) => `Next steps for your ${w}`],
  'Day 3': [(n) => `Checking in, ${n}`, (_n, w) => `A quick thought about your ${w}`, (n) => `How is your week going, ${n}?`],
  'Week 1': [(n) => `One week in, ${n}`, (_n, w) => `An update on your ${w} search`, (n) => `Catching up, ${n}`],
  'Week 2': [(n) => `Touching base, ${n}`, (_n, w) => `Thinking about your ${w}`, (n) => `A quick hello, ${n}`],
  'Month 1': [(n) => `A month on, ${n}`, (n) => `Still here for you, ${n}`, (_n, w) => `Your ${w} plans`],
  Custom: [(n) => `A note for you, ${n}`, (n) => `Checking in, ${n}`, (_n, w) => `About your ${w}`],
};

const SIGNOFFS = ['Best regards,', 'Warm regards,', 'All the best,', 'Talk soon,'] as const;

function picker(seed: string): Pick {
  let n = 0;
  return <T>(options: readonly T[]): T => {
    const h = createHash('sha256').update(`${seed}:${n++}`).digest();
    return options[h.readUInt32BE(0) % options.length] as T;
  };
}

export function writeTemplateEmail(input: GenerationInput): EmailDraft {
  const pick = picker(`${input.seed}:${input.client.id}:${input.followupType}`);
  const c = input.client;
  const name = firstName(c.name);
  const what = c.property_type ? PROPERTY_WORD[c.property_type] : 'home';
  const where = c.property_address ? `the ${what} at ${c.property_address.trim()}` : `your ${what}`;
  const detail = Object.entries(c.custom_fields)
    .map(([k, v]) => [k, v === null ? '' : String(v).trim()] as const)
    .filter(([, v]) => v && v.length <= 60 && !/[\r\n]/.test(v))
    .map(([k, v]) => DETAIL_KEYS.find(([re]) => re.test(k))?.[1](v))
    .find(Boolean);
  const paragraph1 = [pick(OPENERS[input.followupType]), pick(STAGE_LINES[c.stage])].join(' ');
  const paragraph2 = [c.property_type || c.property_address ? pick(PROPERTY_LINES[c.property_type ?? 'residential'])(where) : null, detail]
    .filter(Boolean)
    .join(' ');
  const body = [
    `Hi ${name},`,
    paragraph1,
    paragraph2 || null,
    pick(ASKS[input.followupType]),
    `${pick(SIGNOFFS)}\n${input.agent.name}`,
  ]
    .filter(Boolean)
    .join('\n\n');
  const subject = pick(SUBJECTS[input.followupType])(name, what).replace(/[\r\n]+/g, ' ').slice(0, 120);
  return { subject, body };
}

export const templateWriter: EmailWriter = {
  provider: 'template',
  model: TEMPLATE_MODEL,
  write: async (input) => writeTemplateEmail(input),
};
