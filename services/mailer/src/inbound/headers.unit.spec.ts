import { describe, expect, it } from 'vitest';
import { MAX_MESSAGE_IDS, messageIdsIn, parseHeaders } from './headers.ts';

/** A Gmail reply's header block as Inbound Parse posts it (trimmed, addresses changed). */
const GMAIL = [
  'Received: by mx0047p1mdw1.sendgrid.net with SMTP id 2r3vQ1bXkL',
  '\tTue, 01 Dec 2026 15:02:11 +0000 (UTC)',
  'Received: by mail-lf1-f41.google.com with SMTP id 2adb3069b0e04-53d9ff8f0c2so1234567e87.1',
  '        for <reply+abc234@in.example.com>; Tue, 01 Dec 2026 07:02:10 -0800 (PST)',
  'DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed;',
  '        d=gmail.com; s=20230601; t=1764601330;',
  'MIME-Version: 1.0',
  'References: <0190a000-0000-7000-8000-0000000000e1@realtoros.example>',
  ' <CAJx9=first@mail.gmail.com>',
  'In-Reply-To: <0190a000-0000-7000-8000-0000000000e1@realtoros.example>',
  'From: Maria Lopez <maria.lopez@gmail.com>',
  'Date: Tue, 1 Dec 2026 10:02:00 -0500',
  'Message-ID: <CAJx9=reply@mail.gmail.com>',
  'Subject: Re: Homes near the park',
  'To: "Jane Agent" <reply+abc234@in.example.com>',
  'Content-Type: multipart/alternative; boundary="000000000000a1b2c3"',
  '',
].join('\r\n');

describe('parseHeaders', () => {
  it('reads a Gmail header block: lowercased names, unfolded values, repeated fields in order', () => {
    const h = parseHeaders(GMAIL);
    expect([...h.keys()]).toEqual([
      'received',
      'dkim-signature',
      'mime-version',
      'references',
      'in-reply-to',
      'from',
      'date',
      'message-id',
      'subject',
      'to',
      'content-type',
    ]);
    expect(h.get('received')).toEqual([
      'by mx0047p1mdw1.sendgrid.net with SMTP id 2r3vQ1bXkL\tTue, 01 Dec 2026 15:02:11 +0000 (UTC)',
      'by mail-lf1-f41.google.com with SMTP id 2adb3069b0e04-53d9ff8f0c2so1234567e87.1        for <reply+abc234@in.example.com>; Tue, 01 Dec 2026 07:02:10 -0800 (PST)',
    ]);
    expect(h.get('references')).toEqual(['<0190a000-0000-7000-8000-0000000000e1@realtoros.example> <CAJx9=first@mail.gmail.com>']);
    expect(h.get('subject')).toEqual(['Re: Homes near the park']);
    expect(h.get('to')).toEqual(['"Jane Agent" <reply+abc234@in.example.com>']);
  });

  it.each([
    ['\\n line ends', 'Subject: a\nX-Autoreply: yes\n'],
    ['\\r\\n line ends', 'Subject: a\r\nX-Autoreply: yes\r\n'],
    ['lone \\r line ends', 'Subject: a\rX-Autoreply: yes\r'],
    ['names in any case', 'SUBJECT: a\nx-AUTOREPLY: yes'],
    ['whitespace before the colon', 'Subject : a\nX-Autoreply\t: yes'],
    ['no space after the colon', 'Subject:a\nX-Autoreply:yes'],
  ])('treats %s alike', (_, raw) => {
    expect(parseHeaders(raw)).toEqual(
      new Map([
        ['subject', ['a']],
        ['x-autoreply', ['yes']],
      ]),
    );
  });

  it('keeps an empty value, and a colon inside a value', () => {
    expect(parseHeaders('X-Empty:\nX-Time: 10:00:00')).toEqual(
      new Map([
        ['x-empty', ['']],
        ['x-time', ['10:00:00']],
      ]),
    );
  });

  it('skips lines that are no field, with their continuations', () => {
    const raw = 'From maria@example.com Tue Dec  1 10:02:00 2026\n  continued\nnot a header\nbad name: x\n\tmore\nSubject: kept';
    expect(parseHeaders(raw)).toEqual(new Map([['subject', ['kept']]]));
  });

  it('ignores a continuation before any field', () => {
    expect(parseHeaders(' stray\nSubject: a')).toEqual(new Map([['subject', ['a']]]));
  });

  it('stops at the first empty line after a field (a body may follow)', () => {
    expect(parseHeaders('\r\nSubject: a\r\n\r\nX-Not-A-Header: body text')).toEqual(new Map([['subject', ['a']]]));
  });

  it('is empty for an empty block', () => {
    expect(parseHeaders('')).toEqual(new Map());
  });
});

describe('messageIdsIn', () => {
  it.each<[string, string | undefined, string[]]>([
    ['a Message-ID', '<CAJx9=reply@mail.gmail.com>', ['CAJx9=reply@mail.gmail.com']],
    ['References in order', '<a@x.com> <b@y.com>\t<c@z.com>', ['a@x.com', 'b@y.com', 'c@z.com']],
    ['ids with no space between', '<a@x.com><b@y.com>', ['a@x.com', 'b@y.com']],
    ['an In-Reply-To with a comment', '<a@x.com> (Maria Lopez\'s message of "Tue, 1 Dec 2026")', ['a@x.com']],
    ['the obsolete In-Reply-To phrase', 'Your message of "Tue, 1 Dec 2026" <a@x.com>', ['a@x.com']],
    [
      'an id folded inside its brackets',
      '<0190a000-0000-7000-8000-\r\n 0000000000e1@realtoros.example>',
      ['0190a000-0000-7000-8000-0000000000e1@realtoros.example'],
    ],
    ['a bare id', '  a@x.com ', ['a@x.com']],
    ['an id missing its closing bracket', '<a@x.com', ['a@x.com']],
    ['an id missing its opening bracket', 'a@x.com>', ['a@x.com']],
    ['several bare ids (ambiguous)', 'a@x.com b@y.com', []],
    ['empty brackets', '<> < >', []],
    ['an empty value', '', []],
    ['no value', undefined, []],
  ])('reads %s', (_, value, ids) => {
    expect(messageIdsIn(value)).toEqual(ids);
  });

  it(`keeps the newest ${MAX_MESSAGE_IDS} ids of a longer References`, () => {
    const value = Array.from({ length: 150 }, (_, i) => `<m${i}@x.com>`).join(' ');
    const ids = messageIdsIn(value);
    expect(ids).toHaveLength(100);
    expect(ids[0]).toBe('m50@x.com');
    expect(ids[99]).toBe('m149@x.com');
  });

  it('reads the ids of the Gmail sample', () => {
    const h = parseHeaders(GMAIL);
    expect(messageIdsIn(h.get('references')?.[0])).toEqual([
      '0190a000-0000-7000-8000-0000000000e1@realtoros.example',
      'CAJx9=first@mail.gmail.com',
    ]);
    expect(messageIdsIn(h.get('in-reply-to')?.[0])).toEqual(['0190a000-0000-7000-8000-0000000000e1@realtoros.example']);
  });
});
