import { describe, expect, it } from 'vitest';
import { autoReplyReason, outOfOfficeSubject } from './auto-reply.ts';
import { parseHeaders } from './headers.ts';

const headers = (...lines: string[]) => parseHeaders(lines.join('\r\n'));

/** Header blocks of real-looking messages, trimmed to the fields that matter (and a few that don't). */
const EXCHANGE_OOF = headers(
  'From: Maria Lopez <maria@contoso.example>',
  'To: Jane Agent <reply+abc234@in.example.com>',
  'Subject: Automatic reply: Homes near the park',
  'Thread-Topic: Homes near the park',
  'Thread-Index: AQHbQ2x5y0Zk3q1e1E2e7W4nq8vLkg==',
  'Message-ID: <b0c6e1f0a1b2c3d4@DM6PR11MB1234.namprd11.prod.outlook.com>',
  'In-Reply-To: <0190a000-0000-7000-8000-0000000000e1@realtoros.example>',
  'Auto-Submitted: auto-generated',
  'X-MS-Exchange-Inbox-Rules-Loop: maria@contoso.example',
  'X-Auto-Response-Suppress: All',
  'X-MS-Has-Attach:',
);
const GMAIL_VACATION = headers(
  'From: Maria Lopez <maria.lopez@gmail.com>',
  'Subject: Back on Monday',
  'Auto-Submitted: auto-replied',
  'Precedence: bulk',
  'Message-ID: <CAJx9=vacation@mail.gmail.com>',
);
const GMAIL_HUMAN = headers(
  'From: Maria Lopez <maria.lopez@gmail.com>',
  'Subject: Re: Homes near the park',
  'Message-ID: <CAJx9=reply@mail.gmail.com>',
  'In-Reply-To: <0190a000-0000-7000-8000-0000000000e1@realtoros.example>',
  'MIME-Version: 1.0',
);
const OUTLOOK_HUMAN = headers(
  'From: Maria Lopez <maria@contoso.example>',
  'Subject: RE: Homes near the park',
  'Thread-Topic: Homes near the park',
  'Thread-Index: AQHbQ2x5y0Zk3q1e1E2e7W4nq8vLkgAAbcde',
  'X-MS-Has-Attach:',
  'X-MS-TNEF-Correlator:',
  'Content-Language: en-US',
);
const APPLE_MAIL_HUMAN = headers(
  'From: Maria Lopez <maria@icloud.example>',
  'Subject: Re: Homes near the park',
  'X-Mailer: iPhone Mail (22B91)',
  'Mime-Version: 1.0 (1.0)',
);

describe('autoReplyReason', () => {
  it.each([
    ['an Exchange out-of-office notice', EXCHANGE_OOF, 'Automatic reply: Homes near the park', 'auto-submitted: auto-generated'],
    ['a Gmail vacation responder', GMAIL_VACATION, 'Back on Monday', 'auto-submitted: auto-replied'],
  ])('%s', (_, h, subject, reason) => {
    expect(autoReplyReason(h, subject)).toBe(reason);
  });

  it.each([
    ['a Gmail reply', GMAIL_HUMAN, 'Re: Homes near the park'],
    ['an Outlook reply', OUTLOOK_HUMAN, 'RE: Homes near the park'],
    ['an Apple Mail reply', APPLE_MAIL_HUMAN, 'Re: Homes near the park'],
  ])('is null for %s', (_, h, subject) => {
    expect(autoReplyReason(h, subject)).toBeNull();
  });

  it.each([
    ['Auto-Submitted: auto-replied', 'auto-submitted: auto-replied'],
    ['Auto-Submitted: auto-generated', 'auto-submitted: auto-generated'],
    ['Auto-Submitted: Auto-Replied; owner-email="maria@example.com"', 'auto-submitted: auto-replied'],
    ['Auto-Submitted: auto-notified (bounce)', 'auto-submitted: auto-notified'],
    ['Auto-Submitted:', 'auto-submitted: present'],
    ['Auto-Submitted: <script>', 'auto-submitted: script'],
    ['X-Autoreply: yes', 'x-autoreply'],
    ['X-AutoReply:', 'x-autoreply'],
    ['X-Autorespond: Maria is away', 'x-autorespond'],
    ['Precedence: auto_reply', 'precedence: auto_reply'],
    ['Precedence: bulk', 'precedence: bulk'],
    ['Precedence: Junk', 'precedence: junk'],
    ['Precedence: list', 'precedence: list'],
    ['X-Auto-Response-Suppress: All', 'x-auto-response-suppress: all'],
    ['X-Auto-Response-Suppress: DR, OOF, AutoReply', 'x-auto-response-suppress: oof'],
  ])('given "%s", the reason is %j', (line, reason) => {
    expect(autoReplyReason(headers(line), 'Re: Homes near the park')).toBe(reason);
  });

  it.each([
    'Auto-Submitted: no',
    'Auto-Submitted: No (a person wrote this)',
    'Precedence: first-class',
    'Precedence: normal',
    'X-Auto-Response-Suppress: DR, RN, NRN',
    'X-Auto-Response-Suppress: None',
    'X-Mailer: Microsoft Outlook 16.0',
  ])('given "%s" alone, it is a person', (line) => {
    expect(autoReplyReason(headers(line), 'Re: Homes near the park')).toBeNull();
  });

  it('reads every Auto-Submitted field, not only the first', () => {
    expect(autoReplyReason(headers('Auto-Submitted: no', 'Auto-Submitted: auto-replied'), 'Re: x')).toBe('auto-submitted: auto-replied');
  });

  it('falls back to the subject when no header gives it away', () => {
    expect(autoReplyReason(new Map(), 'Out of Office: Homes near the park')).toBe('subject: out of office');
  });
});

describe('outOfOfficeSubject', () => {
  it.each([
    ['Out of Office: Homes near the park', 'out of office'],
    ['Out of Office AutoReply: Homes near the park', 'out of office'],
    ['Out of the office until December 8', 'out of the office'],
    ['Automatic reply: Homes near the park', 'automatic reply'],
    ['AUTOMATIC REPLY: Homes near the park', 'automatic reply'],
    ['Auto-Reply: Homes near the park', 'auto-reply'],
    ['Auto Reply: Homes near the park', 'auto reply'],
    ['Autoreply', 'autoreply'],
    ['Auto-Response: your message', 'auto-response'],
    ['Away from the office', 'away from the office'],
    ['On vacation until Monday', 'on vacation'],
    ['Re: Out of office', 'out of office'],
    ['RE: Automatic reply: Homes near the park', 'automatic reply'],
    ['AW: Abwesenheitsnotiz: Häuser am Park', 'abwesenheitsnotiz'],
    ['Automatische Antwort: Häuser am Park', 'automatische antwort'],
    ['Réponse automatique : Maisons près du parc', 'reponse automatique'],
    ['Reponse automatique: Maisons près du parc', 'reponse automatique'],
    ['Respuesta automática: Casas cerca del parque', 'respuesta automatica'],
    ['Fuera de la oficina', 'fuera de la oficina'],
    ['Risposta automatica: Case vicino al parco', 'risposta automatica'],
    ['Re[2]: Fwd: out of office', 'out of office'],
    ['  Out of office', 'out of office'],
  ])('%j → %j', (subject, phrase) => {
    expect(outOfOfficeSubject(subject)).toBe(phrase);
  });

  it.each([
    'Re: Homes near the park',
    'RE: Homes near the park',
    'Re: Are you on vacation in May?',
    'Re: the out of office thing',
    'On vacationing in Maine',
    'Autoreplying is rude',
    'Re: Outside the office',
    '',
  ])('%j is a person’s subject', (subject) => {
    expect(outOfOfficeSubject(subject)).toBeNull();
  });
});
