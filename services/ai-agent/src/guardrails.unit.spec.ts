import { describe, expect, it } from 'vitest';
import { type GuardrailCategory, guardrailCategory, guardrailProblems, isGuardrailProblem, MAX_QUOTE } from './guardrails.ts';
import { checkDraft } from './output-check.ts';

const categories = (text: string) => guardrailProblems(text).map(guardrailCategory);

describe('guardrails', () => {
  it.each<[string, GuardrailCategory]>([
    ['It is a great neighbourhood for young families without kids.', 'steers by familial status'],
    ['The condo is perfect for a couple with no children.', 'steers by familial status'],
    ['It is an adults only community, very peaceful.', 'steers by familial status'],
    ['Honestly this one is perfect for empty nesters.', 'steers by familial status'],
    ['It is a mostly Christian area with a strong parish.', 'steers by religion'],
    ['The house is close to the synagogue, you’ll fit right in.', 'steers by religion'],
    ['It is close to churches so you’ll feel at home.', 'steers by religion'],
    ['It is a very white neighbourhood.', 'steers by race or color'],
    ['This street is good for Asian families.', 'steers by race or color'],
    ['The area is mostly Hispanic.', 'steers by national origin'],
    ['English-speaking neighbours only on this block.', 'steers by national origin'],
    ['Sadly the split-level is not suitable for wheelchairs users.', 'steers by disability'],
    ['The stairs make it ideal for able-bodied buyers.', 'steers by disability'],
    ['The loft downtown is perfect for a bachelor.', 'steers by sex'],
    ['It is an exclusive neighborhood, very private.', 'steers with exclusionary wording'],
    ['A restricted community near the lake.', 'steers with exclusionary wording'],
    ['A safe neighbourhood with the right kind of people.', 'steers with exclusionary wording'],
    ['You’d fit in with the locals here.', 'steers with exclusionary wording'],
    ['This home will appreciate 20% in two years.', 'promises a price or legal outcome'],
    ['It is guaranteed to sell above asking.', 'promises a price or legal outcome'],
    ['In this market prices can only go up.', 'promises a price or legal outcome'],
    ['You will definitely get your offer accepted.', 'promises a price or legal outcome'],
    ['I guarantee you’ll close by June.', 'promises a price or legal outcome'],
    ['There is no risk at all.', 'promises a price or legal outcome'],
    ['At this price you can’t lose money.', 'promises a price or legal outcome'],
    ['Don’t worry, this will pass inspection.', 'promises a price or legal outcome'],
    ['The HOA will approve it for sure.', 'promises a price or legal outcome'],
    ['Legally you’re fully protected.', 'promises a price or legal outcome'],
    ['You won’t owe any taxes on the sale.', 'promises a price or legal outcome'],
  ])('refuses %j as %s', (text, category) => expect(categories(text)).toContain(category));

  it.each([
    'Hi Maria, great to meet you at the open house on Elm Street. I’d love to show you a few three-bedroom homes near the park this weekend.',
    'Congratulations on closing! Let me know if you need a recommendation for movers.',
    'The listing at 12 Oak Lane has a large backyard and a two-car garage.',
    'Interest rates moved this week; happy to walk you through what that means for your budget.',
    "Schools information is available from the district's website; I can share the listing details.",
    'Would Saturday at 10 work for a showing?',
    'The home is close to the train station and a grocery store.',
    'Thanks for your time yesterday, I’ll send the comparables you asked about.',
    'The sellers are motivated and open to offers.',
    "Happy anniversary in your home! If you ever think about selling, I'm here.",
    'The family room opens onto the deck, and the kids’ bedroom has a built-in desk.',
    'The house at 40 Church Street has a new roof, and you’ll feel right at home in the kitchen.',
    'I have an exclusive listing coming next week in a deed-restricted community.',
    'I can’t guarantee anything in this market, but the comparables look strong.',
    'Nothing is guaranteed, so let’s keep a second option in mind.',
    'The ground floor is wheelchair accessible and the white kitchen was redone last year.',
    'If you can fit in a showing on Tuesday, the sellers will be out.',
    'The Jewish Community Center and a Catholic school are both a short walk away.',
    'There is a white area rug and a man cave in the basement.',
    'I will definitely send you the disclosures tonight; I’d appreciate any questions.',
  ])('passes %j', (text) => expect(guardrailProblems(text)).toEqual([]));

  it('names the category and quotes the phrase on one line, one problem per category', () =>
    expect(guardrailProblems('A great area without\nkids, and I guarantee it will sell.')).toEqual([
      'steers by familial status (“without kids”)',
      'promises a price or legal outcome (“guarantee”)',
    ]));

  it('keeps the quote short and tells guardrail problems from format problems', () => {
    const [problem] = guardrailProblems(`Legally${' speaking'.repeat(5)} protected`);
    expect(problem).toMatch(/^promises a price or legal outcome \(“Legally speaking .+…”\)$/);
    expect([...problem!.slice(problem!.indexOf('“') + 1, problem!.lastIndexOf('”'))]).toHaveLength(MAX_QUOTE);
    expect(isGuardrailProblem(problem!)).toBe(true);
    expect(isGuardrailProblem('contains a link')).toBe(false);
  });
});

describe('output check with guardrails', () => {
  const body =
    'Hi Maria,\n\nIt was great to talk yesterday. The house on Elm is a great neighbourhood for young families without kids, and I would love to show you.\n\nBest,\nJane';
  it('refuses a draft that steers, with the reason the agent will see, and checks the subject too', () => {
    expect(checkDraft({ subject: 'Great to meet you', body }, { email: 'maria@example.com' })).toEqual([
      'steers by familial status (“without kids”)',
    ]);
    const problems = checkDraft(
      { subject: 'Guaranteed to sell above asking', body: body.replace(' without kids', '') },
      { email: 'maria@example.com' },
    );
    expect(problems).toEqual(['promises a price or legal outcome (“Guaranteed”)']);
    expect(problems.every(isGuardrailProblem)).toBe(true);
  });
});

describe('hasGuardrailProblem (routes a refused automated email to review)', () => {
  it('finds a guardrail problem inside a fallback reason, and nothing in other reasons', async () => {
    const { hasGuardrailProblem } = await import('./guardrails.ts');
    expect(hasGuardrailProblem('openai output rejected: body too short; steers by familial status (“without kids”)')).toBe(true);
    expect(hasGuardrailProblem('openai output rejected: promises a price or legal outcome (“guaranteed”)')).toBe(true);
    expect(hasGuardrailProblem('openai output rejected: body too short; contains a link')).toBe(false);
  });
});
