import { describe, expect, it } from 'vitest';
import { checkTemplate, fieldsUsed, mergeValuesOf, parseTemplate, renderEmailTemplate, renderTemplate } from './merge-fields.ts';

const client = {
  name: 'Maria Elena Lopez',
  email: 'maria@example.com',
  phone: null,
  property_address: '12 Oak Street',
  property_type: 'multi_family',
  stage: 'under_contract',
  custom_fields: { Budget: '$650,000', bedrooms: 3, empty: '' },
};
const agent = { name: 'Jane Agent', email: 'jane@example.com', signature: 'Jane Agent\nOak Realty' };
const values = mergeValuesOf(client, agent);

describe('merge fields: parsing', () => {
  it('known fields, with or without spaces inside the braces, and custom.<key>', () => {
    expect(
      checkTemplate({ subject: 'Hi {{first_name}}', body: '{{ agent_name }} / {{custom.Budget}} / {{ custom.my key | none }}' }),
    ).toEqual([]);
    expect(fieldsUsed('{{ first_name }} {{first_name}} {{ custom.budget }}')).toEqual(['first_name', 'custom.budget']);
  });

  it('an unknown field is named, with the pointer of the text it is in', () => {
    expect(checkTemplate({ subject: 'Hi {{ firstname }}', body: 'ok {{agent_name}} {{ budget }}' })).toEqual([
      { pointer: '/subject', detail: expect.stringContaining('unknown merge field "firstname"') },
      { pointer: '/body', detail: expect.stringContaining('unknown merge field "budget"') },
    ]);
  });

  it('a malformed "{{" (never closed, or another one inside), an empty field, "custom." without a key → problems', () => {
    expect(parseTemplate('Hi {{first_name').problems).toEqual([expect.stringContaining('never closed')]);
    expect(parseTemplate('Hi {{first_name {{agent_name}}').problems).toEqual([expect.stringContaining('before the next')]);
    expect(parseTemplate('Hi {{ }}').problems).toEqual([expect.stringContaining('empty merge field')]);
    expect(parseTemplate('Hi {{custom.}}').problems).toEqual([expect.stringContaining('unknown merge field "custom."')]);
    expect(parseTemplate('Hi {{ | there }}').problems).toHaveLength(1);
  });

  it('plain text with single braces or a lone "}}" is fine; \\{{ is a literal "{{"', () => {
    expect(checkTemplate({ body: 'a {b} c }} d' })).toEqual([]);
    expect(renderTemplate('use \\{{first_name}} to greet {{first_name}}', values)).toBe('use {{first_name}} to greet Maria');
  });
});

describe('merge fields: rendering', () => {
  it('fills the client and agent fields; words for enum values', () => {
    expect(
      renderTemplate(
        '{{first_name}}|{{last_name}}|{{name}}|{{email}}|{{property_address}}|{{property_type}}|{{stage}}|{{agent_name}}|{{agent_email}}',
        values,
      ),
    ).toBe('Maria|Elena Lopez|Maria Elena Lopez|maria@example.com|12 Oak Street|multi-family|under contract|Jane Agent|jane@example.com');
  });

  it('custom fields: exact key, else ignoring case; numbers as text', () => {
    expect(renderTemplate('{{custom.Budget}} {{custom.budget}} {{ custom.bedrooms }}', values)).toBe('$650,000 $650,000 3');
  });

  it('a missing value renders as nothing, or as the fallback when one is given', () => {
    expect(renderTemplate('Call {{phone}}.', values)).toBe('Call .');
    expect(renderTemplate('Call {{ phone | me }}. {{custom.nope|soon}} {{ custom.empty | n/a }}', values)).toBe('Call me. soon n/a');
    expect(renderTemplate('Hi {{first_name | there}}', mergeValuesOf({ ...client, name: 'Maria' }, {}))).toBe('Hi Maria');
  });

  it('values are inserted once, never parsed again (a client named "{{agent_email}}" stays that)', () => {
    const odd = mergeValuesOf({ ...client, name: '{{agent_email}} <b>x</b>' }, agent);
    expect(renderTemplate('Hi {{first_name}}', odd)).toBe('Hi {{agent_email}}');
    expect(renderTemplate('{{name}}', odd)).toBe('{{agent_email}} <b>x</b>');
  });

  it('an email: the subject on one line and trimmed; the body keeps its lines (the signature too)', () => {
    const r = renderEmailTemplate(
      { subject: '  About {{ property_address }} {{agent_signature}} ', body: 'Hi {{first_name}},\r\n\nSee you.\n{{agent_signature}}\n' },
      values,
    );
    expect(r).toEqual({ subject: 'About 12 Oak Street Jane Agent Oak Realty', body: 'Hi Maria,\n\nSee you.\nJane Agent\nOak Realty' });
    expect(renderEmailTemplate({ subject: `${'x'.repeat(190)}{{name}}`, body: 'b' }, values).subject).toHaveLength(200);
  });
});
