import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Address, EmailSender, OutgoingEmail } from './types.ts';

const encodeWord = (s: string) => (/^[\x20-\x7e]*$/.test(s) ? s : `=?UTF-8?B?${Buffer.from(s).toString('base64')}?=`);
const addr = (a: Address) => (a.name ? `"${encodeWord(a.name).replace(/"/g, "'")}" <${a.email}>` : `<${a.email}>`);
const oneLine = (s: string) => s.replace(/[\r\n]+/g, ' ');

/** The message as RFC 5322 text: multipart/alternative, text and HTML, our headers. */
export function toEml(m: OutgoingEmail, messageId: string, date: Date): string {
  const boundary = `realtoros-${m.emailId}`;
  const head = [
    `Message-ID: <${messageId}@outbox.realtoros.local>`,
    `Date: ${date.toUTCString()}`,
    `From: ${addr(m.from)}`,
    `To: ${addr(m.to)}`,
    ...(m.replyTo ? [`Reply-To: ${addr(m.replyTo)}`] : []),
    `Subject: ${encodeWord(oneLine(m.subject))}`,
    'MIME-Version: 1.0',
    ...Object.entries(m.headers).map(([k, v]) => `${k}: ${oneLine(v)}`),
    ...Object.entries(m.customArgs).map(([k, v]) => `X-RealtorOS-${k.replace(/_/g, '-')}: ${oneLine(v)}`),
    `Content-Type: multipart/alternative; boundary="${boundary}"`,
  ];
  const part = (type: string, body: string) =>
    [
      `--${boundary}`,
      `Content-Type: ${type}; charset=utf-8`,
      'Content-Transfer-Encoding: base64',
      '',
      Buffer.from(body).toString('base64').replace(/.{76}/g, '$&\r\n'),
    ].join('\r\n');
  return `${head.join('\r\n')}\r\n\r\n${part('text/plain', m.text)}\r\n${part('text/html', m.html)}\r\n--${boundary}--\r\n`;
}

/**
 * The offline provider: each message becomes `<OUTBOX_DIR>/<email_id>.eml` (written to a
 * temporary name, then renamed, so a file is whole or absent). Same email → same file.
 */
export function outboxSender(dir: string, now: () => Date = () => new Date()): EmailSender {
  return {
    provider: 'outbox',
    async send(m) {
      await mkdir(dir, { recursive: true });
      const messageId = `outbox-${m.emailId}`;
      const file = join(dir, `${m.emailId}.eml`);
      await writeFile(`${file}.tmp`, toEml(m, messageId, now()));
      await rename(`${file}.tmp`, file);
      return { messageId };
    },
  };
}
