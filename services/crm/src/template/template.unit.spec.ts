import { deciderSpec } from '@realtoros/testing';
import { describe, expect, it } from 'vitest';
import { templateDecider } from './template.ts';

const spec = deciderSpec(templateDecider);
const content = { name: 'Open house', subject: 'See {{ property_address }}?', body: 'Hi {{first_name}},\n\n{{agent_name}}' };
const created = { type: 'TemplateCreated' as const, data: { ...content, version: 1 } };
const deleted = { type: 'TemplateDeleted' as const, data: { name: 'Open house', version: 1 } };
const change = (changes: Record<string, string>) => ({ type: 'ChangeTemplate' as const, data: { changes } });

describe('template decider', () => {
  it('given nothing, when CreateTemplate, then TemplateCreated v1 with name and subject trimmed', () => {
    spec
      .given([])
      .when({ type: 'CreateTemplate', data: { ...content, name: ' Open house ', subject: ' See {{ property_address }}? ' } })
      .then([created]);
  });

  it('given TemplateCreated, when the same create is retried, then nothing', () => {
    spec.given([created]).when({ type: 'CreateTemplate', data: content }).then([]);
  });

  it('an unknown merge field → validation naming it, pointing at /subject or /body; nothing decided', () => {
    const err = spec
      .given([])
      .when({ type: 'CreateTemplate', data: { ...content, subject: 'Hi {{firstname}}', body: 'About {{ budget }} {{first_name' } })
      .thenThrows('validation');
    expect(err.errors).toEqual([
      { pointer: '/subject', detail: expect.stringContaining('unknown merge field "firstname"') },
      { pointer: '/body', detail: expect.stringContaining('unknown merge field "budget"') },
      { pointer: '/body', detail: expect.stringContaining('never closed') },
    ]);
  });

  it('the limits: name 1–100, subject 1–200 and one line, body 1–10,000 and not blank', () => {
    for (const [data, pointer] of [
      [{ ...content, name: '  ' }, '/name'],
      [{ ...content, name: 'n'.repeat(101) }, '/name'],
      [{ ...content, subject: 's'.repeat(201) }, '/subject'],
      [{ ...content, subject: 'two\nlines' }, '/subject'],
      [{ ...content, body: ' \n ' }, '/body'],
      [{ ...content, body: 'b'.repeat(10_001) }, '/body'],
    ] as const) {
      const err = spec.given([]).when({ type: 'CreateTemplate', data }).thenThrows('validation');
      expect(err.errors?.map((e) => e.pointer)).toEqual([pointer]);
    }
    spec
      .given([])
      .when({ type: 'CreateTemplate', data: { name: 'n'.repeat(100), subject: 's'.repeat(200), body: 'b'.repeat(10_000) } })
      .then([{ type: 'TemplateCreated', data: { name: 'n'.repeat(100), subject: 's'.repeat(200), body: 'b'.repeat(10_000), version: 1 } }]);
  });

  it('given TemplateCreated, when ChangeTemplate, then TemplateChanged v2, whole; the same content again → nothing', () => {
    spec
      .given([created])
      .when(change({ body: 'Hello {{ name }}' }))
      .then([{ type: 'TemplateChanged', data: { ...content, body: 'Hello {{ name }}', version: 2 } }]);
    spec
      .given([created])
      .when(change({ name: 'Open house' }))
      .then([]);
  });

  it('a change with an unknown merge field → validation; a change of an unknown or deleted template → not_found', () => {
    expect(
      spec
        .given([created])
        .when(change({ body: '{{ nope }}' }))
        .thenThrows('validation').errors,
    ).toEqual([{ pointer: '/body', detail: expect.stringContaining('"nope"') }]);
    spec
      .given([])
      .when(change({ name: 'x' }))
      .thenThrows('not_found');
    spec
      .given([created, deleted])
      .when(change({ name: 'x' }))
      .thenThrows('not_found');
  });

  it('DeleteTemplate: TemplateDeleted once; again → nothing (idempotent); unknown → not_found', () => {
    spec.given([created]).when({ type: 'DeleteTemplate' }).then([deleted]);
    spec.given([created, deleted]).when({ type: 'DeleteTemplate' }).then([]);
    spec.given([]).when({ type: 'DeleteTemplate' }).thenThrows('not_found');
  });

  it('state: the last version, deleted after TemplateDeleted', () => {
    expect(spec.given([created, { type: 'TemplateChanged', data: { ...content, name: 'B', version: 2 } }]).state()).toMatchObject({
      status: 'live',
      version: 2,
      content: { name: 'B' },
    });
    expect(spec.given([created, deleted]).state()).toMatchObject({ status: 'deleted' });
  });
});
