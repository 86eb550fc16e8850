import { describe, expect, it } from 'vitest';
import { fairHousingProblems, hasGuardrailProblem } from './fair-housing.ts';
import { checkDraft } from './output-check.ts';

const REFUSED: [string, string][] = [
  ['This is a great neighbourhood for young families without kids.', 'familial status'],
  ['Perfect for a couple with no children, very quiet street.', 'familial status'],
  ['It is an adults-only building, so no noise.', 'familial status'],
  ["It's a mostly Christian area with lovely gardens.", 'religion'],
  ["Close to the synagogue, you'll fit right in.", 'religion'],
  ['A very white neighborhood, if you know what I mean.', 'race or colour'],
  ['The area is mostly Hispanic these days.', 'race or colour'],
  ['Good for Asian families looking for schools.', 'race or colour'],
  ['Lovely street with English-speaking neighbours only.', 'national origin'],
  ['The stairs make it not suitable for wheelchair users.', 'disability'],
  ['Ideal for able-bodied buyers who like hiking.', 'disability'],
  ['Perfect for a bachelor who works downtown.', 'familial status'],
  ['A safe neighbourhood with the right kind of people.', 'steering words'],
  ["You'd fit in with the locals here.", 'steering words'],
  ['This home will appreciate 20% in two years.', 'a price or legal outcome'],
  ["It's guaranteed to sell above asking.", 'a price or legal outcome'],
  ['Prices can only go up in this market.', 'a price or legal outcome'],
  ['You will definitely get your offer accepted.', 'a price or legal outcome'],
  ["I guarantee you'll close by June.", 'a price or legal outcome'],
  ["There's no risk at all, you can't lose money.", 'a price or legal outcome'],
  ['This will pass inspection, no question.', 'a price or legal outcome'],
  ["Legally you're fully protected if you sign now.", 'a price or legal outcome'],
  ["You won't owe any taxes on the sale.", 'a price or legal outcome'],
];

const PASSED = [
  "Hi Maria, great to meet you at the open house on Elm Street. I'd love to show you a few three-bedroom homes near the park this weekend.",
  'Congratulations on closing! Let me know if you need a recommendation for movers.',
  'The listing at 12 Oak Lane has a large backyard and a two-car garage.',
  'Interest rates moved this week; happy to walk you through what that means for your budget.',
  "School information is available from the district's website; I can share the listing details.",
  'Would Saturday at 10 work for a showing?',
  'The home is close to the train station and a grocery store.',
  "Thanks for your time yesterday, I'll send the comparables you asked about.",
  'The sellers are motivated and open to offers.',
  "Happy anniversary in your home! If you ever think about selling, I'm here.",
  'The family room opens onto the patio, and the kids’ bedroom upstairs gets morning light.',
  'The house on Church Street has new windows and a finished basement.',
  'Recent sales nearby went for between $610,000 and $655,000; I can walk you through them.',
  'The ground floor has a step-free entrance and a wide hallway.',
];

describe('Fair Housing and promise guardrails', () => {
  it.each(REFUSED)('refuses %j (%s)', (text, category) => {
    const problems = fairHousingProblems(text);
    expect(problems.some((p) => p.includes(category))).toBe(true);
    expect(problems.every(hasGuardrailProblem)).toBe(true);
  });
  it.each(PASSED)('lets an ordinary follow-up pass: %j', (text) => expect(fairHousingProblems(text)).toEqual([]));
  it('the problem quotes what it refused, and reaches the output check (so the template stands in, or the draft goes to review)', () => {
    expect(fairHousingProblems('A great neighbourhood for young families without kids.')).toEqual(['steers by familial status (“without kids”)']);
    const body =
      'Hi Maria,\n\nIt was great to talk yesterday. This home is guaranteed to sell above asking, so it is a safe bet for you and your budget.\n\nBest,\nJane';
    expect(checkDraft({ subject: 'A safe bet', body }, { email: 'maria@example.com' })).toEqual(['promises a price or legal outcome (“guaranteed”)']);
    expect(hasGuardrailProblem('openai output rejected: body too short')).toBe(false);
  });
});
