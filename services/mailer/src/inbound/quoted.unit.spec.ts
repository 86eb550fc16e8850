import { describe, expect, it } from 'vitest';
import { htmlToText, MAX_INPUT_CHARS, MAX_REPLY_CHARS, stripQuotedHistory } from './quoted.ts';

const REPLY_TO = 'reply+mzxw6ytboi2345abcdefghijklmnopqrstuvwxyzab@in.example.com';
const lines = (...l: string[]) => l.join('\n');

/** Plain-text parts of real-looking replies, each with the text the client wrote. */
const REPLIES: [string, string, string][] = [
  [
    'Gmail',
    lines(
      'Yes, Saturday at 11 works for us. Could we also see the one on Elm Street?',
      '',
      'Thanks,',
      'Maria',
      '',
      `On Tue, Dec 1, 2026 at 10:00 AM Jane Agent <${REPLY_TO}> wrote:`,
      '',
      '> Hi Maria,',
      '>',
      '> Here are three homes near the park that match what you described.',
      '>',
    ),
    'Yes, Saturday at 11 works for us. Could we also see the one on Elm Street?\n\nThanks,\nMaria',
  ],
  [
    'Gmail, the attribution wrapped after "<"',
    lines('Sounds great!', '', 'On Tue, Dec 1, 2026 at 10:00 AM Jane Agent from RealtorOS <', `${REPLY_TO}> wrote:`, '', '> Hi Maria,'),
    'Sounds great!',
  ],
  [
    'Gmail, the attribution wrapped before "wrote:"',
    lines('Sounds great!', '', `On Tue, Dec 1, 2026 at 10:00 AM Jane Agent <${REPLY_TO}>`, 'wrote:', '', '> Hi Maria,'),
    'Sounds great!',
  ],
  [
    'Outlook desktop',
    lines(
      'Hi Jane,',
      '',
      'Thursday works. Is parking available?',
      '',
      'Maria',
      '',
      '________________________________',
      `From: Jane Agent <${REPLY_TO}>`,
      'Sent: Tuesday, December 1, 2026 10:00 AM',
      'To: Maria Lopez <maria@contoso.example>',
      'Subject: Homes near the park',
      '',
      'Hi Maria,',
    ),
    'Hi Jane,\n\nThursday works. Is parking available?\n\nMaria',
  ],
  [
    'Outlook on the web (no rule above the header block)',
    lines(
      'Thanks, will do.',
      '',
      `From: Jane Agent <${REPLY_TO}>`,
      'Sent: Tuesday, December 1, 2026 10:00 AM',
      'To: Maria Lopez <maria@contoso.example>',
      'Subject: Homes near the park',
    ),
    'Thanks, will do.',
  ],
  [
    'Outlook for Mac (bold fields, Date instead of Sent)',
    lines(
      'Works for me.',
      '',
      `*From: *Jane Agent <${REPLY_TO}>`,
      '*Date: *Tuesday, 1 December 2026 at 10:00',
      '*To: *Maria Lopez <maria@contoso.example>',
    ),
    'Works for me.',
  ],
  [
    'older Outlook',
    lines(
      'Please call me tomorrow.',
      '',
      '-----Original Message-----',
      `From: Jane Agent [mailto:${REPLY_TO}]`,
      'Sent: Tuesday, December 1, 2026 10:00 AM',
    ),
    'Please call me tomorrow.',
  ],
  [
    'Outlook for iOS',
    lines(
      'Perfect, see you then',
      '',
      'Get Outlook for iOS<https://aka.ms/o0ukef>',
      '________________________________',
      `From: Jane Agent <${REPLY_TO}>`,
      'Sent: Tuesday, December 1, 2026 4:00:12 PM',
    ),
    'Perfect, see you then',
  ],
  [
    'Apple Mail on an iPhone',
    lines(
      'Can we move it to 2pm?',
      '',
      'Sent from my iPhone',
      '',
      `> On Dec 1, 2026, at 10:00, Jane Agent <${REPLY_TO}> wrote:`,
      '> ',
      '> Hi Maria,',
      '> ',
    ),
    'Can we move it to 2pm?',
  ],
  [
    'Apple Mail on a Mac',
    lines('That one looks perfect.', '', `On Dec 1, 2026, at 10:00 AM, Jane Agent <${REPLY_TO}> wrote:`, '', '> Hi Maria,'),
    'That one looks perfect.',
  ],
  [
    'Gmail in French (narrow no-break space before the colon)',
    lines('Oui, samedi me convient.', '', `Le mar. 1 déc. 2026 à 10:00, Jane Agent <${REPLY_TO}> a écrit\u202f:`, '', '> Bonjour Maria,'),
    'Oui, samedi me convient.',
  ],
  [
    'Gmail in German',
    lines('Ja, Samstag passt.', '', `Am Di., 1. Dez. 2026 um 10:00 Uhr schrieb Jane Agent <${REPLY_TO}>:`, '', '> Hallo Maria,'),
    'Ja, Samstag passt.',
  ],
  [
    'Apple Mail in German',
    lines(
      'Ja, gerne.',
      '',
      'Von meinem iPhone gesendet',
      '',
      `> Am 01.12.2026 um 10:00 schrieb Jane Agent <${REPLY_TO}>:`,
      '> Hallo Maria,',
    ),
    'Ja, gerne.',
  ],
  [
    'Gmail in Spanish',
    lines('Sí, el sábado me va bien.', '', `El mar, 1 dic 2026 a las 10:00, Jane Agent (<${REPLY_TO}>) escribió:`, '', '> Hola Maria,'),
    'Sí, el sábado me va bien.',
  ],
];

describe('stripQuotedHistory', () => {
  it.each(REPLIES)('keeps only the new text of a reply from %s', (_, text, reply) => {
    expect(stripQuotedHistory(text)).toBe(reply);
  });

  it('reads \\r\\n line ends as \\n', () => {
    const text = `Yes.\r\n\r\nSee you.\r\n\r\nOn Tue, Dec 1, 2026 at 10:00 AM Jane <jane@x.com> wrote:\r\n> Hi`;
    expect(stripQuotedHistory(text)).toBe('Yes.\n\nSee you.');
  });

  it('keeps answers written between quoted lines, dropping only the quote at the end', () => {
    const text = lines('> Would Saturday work?', 'Yes, after 10.', '', '> Do you need parking?', 'No thanks.', '', '> Best,', '> Jane', '');
    expect(stripQuotedHistory(text)).toBe(lines('> Would Saturday work?', 'Yes, after 10.', '', '> Do you need parking?', 'No thanks.'));
  });

  it.each([
    ['a sentence that starts with "On" and ends with "wrote:"', 'On second thought, here is what she wrote:\nthe kitchen is small.'],
    ['"From:" with no "Sent:" after it', 'From: the lender, good news.\nWe are approved!'],
    ['a rule with no header block below', 'Sign here:\n________________________________\nMaria'],
    ['"Sent from my" inside a sentence', 'I sent from my office the papers you asked for.'],
  ])('does not cut at %s', (_, text) => {
    expect(stripQuotedHistory(text)).toBe(text);
  });

  it('drops only one device signature, and only at the end', () => {
    expect(stripQuotedHistory('Sent from my iPhone\nActually, Friday is better.')).toBe('Sent from my iPhone\nActually, Friday is better.');
    expect(stripQuotedHistory('Yes.\nSent from my iPad\nSent from my iPhone')).toBe('Yes.\nSent from my iPad');
  });

  it.each([
    [
      'history only, written below the quote',
      lines(`On Tue, Dec 1, 2026 at 10:00 AM Jane <jane@x.com> wrote:`, '> Hi Maria,', '', 'Saturday works.'),
    ],
    ['quoted lines only', lines('> Hi Maria,', '> Saturday?')],
    ['a device signature only', 'Sent from my iPhone'],
  ])('gives back the whole text, trimmed, when stripping leaves nothing: %s', (_, text) => {
    expect(stripQuotedHistory(`\n  ${text}  \n\n`)).toBe(text);
  });

  it.each([
    ['empty', ''],
    ['whitespace', ' \r\n\t\n '],
  ])('is empty for %s text', (_, text) => {
    expect(stripQuotedHistory(text)).toBe('');
  });

  it(`keeps at most ${MAX_REPLY_CHARS} characters`, () => {
    const long = 'a'.repeat(MAX_REPLY_CHARS + 500);
    expect(stripQuotedHistory(`${long}\n\nOn Tue, Dec 1, 2026 at 10:00 AM Jane <jane@x.com> wrote:`)).toBe('a'.repeat(MAX_REPLY_CHARS));
    expect(stripQuotedHistory(`> ${long}`)).toBe(`> ${'a'.repeat(MAX_REPLY_CHARS - 2)}`);
  });

  it('never cuts an emoji in half at the cap', () => {
    const text = `${'a'.repeat(MAX_REPLY_CHARS - 1)}😀`;
    expect(stripQuotedHistory(text)).toBe('a'.repeat(MAX_REPLY_CHARS - 1));
  });

  it('reads a long text quickly, only its first MAX_INPUT_CHARS', () => {
    const started = performance.now();
    const reply = stripQuotedHistory(`${'On 1 x\n'.repeat(MAX_INPUT_CHARS / 7)}Yes.`);
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(reply).toHaveLength(MAX_REPLY_CHARS);
  });
});

describe('htmlToText', () => {
  it('reads a Gmail reply: a <div> per line, <br> for a blank line, history in gmail_quote', () => {
    const html =
      '<div dir="ltr"><div>Hi Jane,</div><div><br></div><div>Saturday at 11 works. Can we see Elm Street too?</div><div><br></div><div>Maria</div></div><br>' +
      '<div class="gmail_quote"><div dir="ltr" class="gmail_attr">On Tue, Dec 1, 2026 at 10:00 AM Jane Agent &lt;<a href="mailto:reply+abc@in.example.com">reply+abc@in.example.com</a>&gt; wrote:<br></div>' +
      '<blockquote class="gmail_quote" style="margin:0px 0px 0px 0.8ex"><div>Hi Maria,</div></blockquote></div>\r\n';
    const text = htmlToText(html);
    expect(text).toBe(
      lines(
        'Hi Jane,',
        '',
        'Saturday at 11 works. Can we see Elm Street too?',
        '',
        'Maria',
        '',
        'On Tue, Dec 1, 2026 at 10:00 AM Jane Agent <reply+abc@in.example.com> wrote:',
        'Hi Maria,',
      ),
    );
    expect(stripQuotedHistory(text)).toBe('Hi Jane,\n\nSaturday at 11 works. Can we see Elm Street too?\n\nMaria');
  });

  it('reads an Outlook reply: <head> and <style> dropped, MsoNormal paragraphs, the quoted header block', () => {
    const html = [
      '<html xmlns:o="urn:schemas-microsoft-com:office:office">',
      '<head>',
      '<meta http-equiv="Content-Type" content="text/html; charset=utf-8">',
      '<style><!-- p.MsoNormal {margin:0cm; font-size:11.0pt;} --></style>',
      '<!--[if gte mso 9]><xml><o:shapedefaults v:ext="edit" spidmax="1026" /></xml><![endif]-->',
      '</head>',
      '<body lang="EN-US">',
      '<div class="WordSection1">',
      '<p class="MsoNormal">Hi Jane,<o:p></o:p></p>',
      '<p class="MsoNormal"><o:p>&nbsp;</o:p></p>',
      '<p class="MsoNormal">Thursday works &#8211; is parking available?<o:p></o:p></p>',
      '<p class="MsoNormal"><o:p>&nbsp;</o:p></p>',
      '<div style="border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0cm 0cm 0cm">',
      '<p class="MsoNormal"><b>From:</b> Jane Agent &lt;reply+abc@in.example.com&gt;<br>',
      '<b>Sent:</b> Tuesday, December 1, 2026 10:00 AM<br>',
      '<b>To:</b> Maria Lopez &lt;maria@contoso.example&gt;<br>',
      '<b>Subject:</b> Homes near the park<o:p></o:p></p>',
      '</div>',
      '<p class="MsoNormal">Hi Maria,<o:p></o:p></p>',
      '</div>',
      '</body>',
      '</html>',
    ].join('\r\n');
    const text = htmlToText(html);
    expect(text).toBe(
      lines(
        'Hi Jane,',
        '',
        'Thursday works – is parking available?',
        '',
        'From: Jane Agent <reply+abc@in.example.com>',
        'Sent: Tuesday, December 1, 2026 10:00 AM',
        'To: Maria Lopez <maria@contoso.example>',
        'Subject: Homes near the park',
        'Hi Maria,',
      ),
    );
    expect(stripQuotedHistory(text)).toBe('Hi Jane,\n\nThursday works – is parking available?');
  });

  it('reads an Apple Mail reply: text and a blockquote of type cite', () => {
    const html =
      '<html><head><meta http-equiv="content-type" content="text/html; charset=utf-8"></head><body dir="auto">Can we move it to 2pm?<br><br>' +
      '<div dir="ltr">Sent from my iPhone</div><div dir="ltr"><br><blockquote type="cite">On Dec 1, 2026, at 10:00, Jane Agent &lt;reply+abc@in.example.com&gt; wrote:<br><br></blockquote></div>' +
      '<blockquote type="cite"><div dir="ltr">Hi Maria,</div></blockquote></body></html>';
    const text = htmlToText(html);
    expect(text).toBe(
      lines(
        'Can we move it to 2pm?',
        '',
        'Sent from my iPhone',
        '',
        'On Dec 1, 2026, at 10:00, Jane Agent <reply+abc@in.example.com> wrote:',
        '',
        'Hi Maria,',
      ),
    );
    expect(stripQuotedHistory(text)).toBe('Can we move it to 2pm?');
  });

  it.each([
    [
      'the common named entities',
      'Tom &amp; Jerry &lt;3 &quot;home&quot; &#39;sweet&#39; &apos;home&apos;',
      "Tom & Jerry <3 \"home\" 'sweet' 'home'",
    ],
    ['entities in any case', '&AMP; &Lt;', '& <'],
    ['&nbsp; as a space', 'a&nbsp;b&nbsp;&nbsp;c', 'a b  c'],
    ['decimal and hex numeric entities', '&#233;t&#xE9; &#x1F3E1; &#X41;', 'été 🏡 A'],
    ['numeric entities that are no character as U+FFFD', '&#0; &#xD800; &#x110000;', '\ufffd \ufffd \ufffd'],
    ['unknown entities as they are', '&copy2; &bogus; & alone', '&copy2; &bogus; & alone'],
    ['encoded markup as text, not tags', '&lt;script&gt;alert(1)&lt;/script&gt;', '<script>alert(1)</script>'],
    ['a "<" that starts no tag', 'a < b and 3<4', 'a < b and 3<4'],
    ['whitespace collapsed, as HTML shows it', '  Hello\r\n   there\t\tMaria  ', 'Hello there Maria'],
    ['<br> in every spelling', 'a<br>b<BR/>c<br />d', 'a\nb\nc\nd'],
    ['paragraphs on lines of their own', 'intro<p>one</p><p>two</p>outro', 'intro\none\ntwo\noutro'],
    ['nested blocks without extra blank lines', '<div><div><p>one</p></div></div><div>two</div>', 'one\ntwo'],
    ['blank-line runs cut to one', 'a<br><br><br><br>b', 'a\n\nb'],
    ['inline tags removed', '<b>bold</b> <i>and</i> <a href="https://x.example/?a=1&amp;b=2">link</a>', 'bold and link'],
    [
      'script, style, title, template and noscript dropped',
      '<title>T</title><script>var a = "<p>";</script><style>p{}</style><template>t</template><noscript>n</noscript>kept',
      'kept',
    ],
    ['a dropped element closed in another case', '<SCRIPT type="x">evil()</Script >kept', 'kept'],
    ['a self-closing script', '<script src="x.js"/>kept', 'kept'],
    ['a <head> left open until <body>', '<html><head><meta charset="utf-8"><body>kept</body></html>', 'kept'],
    [
      'comments, conditional comments and a doctype',
      '<!DOCTYPE html><!-- a <b>comment</b> -->one<!--[if mso]>two<![endif]-->three',
      'onethree',
    ],
    ['an unclosed comment (the rest dropped)', 'kept<!-- never closed <p>lost</p>', 'kept'],
    ['an unclosed <script> (the rest dropped)', 'kept<script>lost()', 'kept'],
    ['an unclosed tag (the rest dropped)', 'kept<div class="x', 'kept'],
    ['a tag named by nothing', 'a<1>b</ >c', 'a<1>bc'],
    ['empty input', '', ''],
  ])('handles %s', (_, html, text) => {
    expect(htmlToText(html)).toBe(text);
  });

  it.each([
    ['many "<" with no ">"', '<a'.repeat(MAX_INPUT_CHARS / 2)],
    ['many unclosed <style>', '<style>'.repeat(MAX_INPUT_CHARS / 7)],
    ['many unclosed comments', '<!--'.repeat(MAX_INPUT_CHARS / 4)],
    ['many tags', '<b>x</b>'.repeat(MAX_INPUT_CHARS / 8)],
    ['many blocks', '<div>x</div>'.repeat(MAX_INPUT_CHARS / 12)],
  ])('takes little time for %s', (_, html) => {
    const started = performance.now();
    htmlToText(html);
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  it(`reads only the first ${MAX_INPUT_CHARS} characters`, () => {
    const html = `${'a'.repeat(MAX_INPUT_CHARS)}<p>beyond</p>`;
    expect(htmlToText(html)).toBe('a'.repeat(MAX_INPUT_CHARS));
  });
});
