import { describe, expect, it } from 'vitest';
import { insertField, readTemplateForm } from './template-form.ts';

describe('the template editor’s form', () => {
  it('inserts a merge field at the cursor, replacing a selection, and puts the cursor after it', () => {
    expect(insertField('Hi ,', 3, 3, 'first_name')).toEqual({ value: 'Hi {{ first_name }},', cursor: 19 });
    expect(insertField('Hi NAME,', 3, 7, 'first_name')).toEqual({ value: 'Hi {{ first_name }},', cursor: 19 });
    expect(insertField('', 5, 9, 'agent_name')).toEqual({ value: '{{ agent_name }}', cursor: 16 });
  });
  it('reads the form: name and subject trimmed, body as typed', () => {
    const f = new FormData();
    f.set('name', ' A ');
    f.set('subject', ' S ');
    f.set('body', ' B\n');
    expect(readTemplateForm(f)).toEqual({ name: 'A', subject: 'S', body: ' B\n' });
  });
});
