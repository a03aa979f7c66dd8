import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import nodemailer from 'nodemailer';

export interface OutgoingMail {
  /** A deterministic `<id@domain>`; a resend of the same message carries the same one. */
  messageId: string;
  from: string;
  to: string;
  subject: string;
  text: string;
  html: string;
}

export interface Mailer {
  /** `outbox` means no SMTP server is configured and messages are written to files instead. */
  readonly transport: 'smtp' | 'outbox';
  /** Resolves once the server accepted the message; `signal` aborts it (the connection is closed). */
  send(mail: OutgoingMail, signal?: AbortSignal): Promise<void>;
  verify(): Promise<void>;
  close(): void;
}

export function createMailer(options: { smtpUrl?: string; outboxDir: string }): Mailer {
  return options.smtpUrl ? smtpMailer(options.smtpUrl) : outboxMailer(options.outboxDir);
}

function smtpMailer(url: string): Mailer {
  const transporter = nodemailer.createTransport({
    url,
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 30_000,
  });
  return {
    transport: 'smtp',
    async send(mail, signal) {
      await transporter.sendMail({ ...mail, signal });
    },
    async verify() {
      await transporter.verify();
    },
    close: () => transporter.close(),
  };
}

/** Offline delivery: one `.eml` file per message, named by its Message-ID so a resend overwrites it. */
function outboxMailer(dir: string): Mailer {
  const transporter = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  return {
    transport: 'outbox',
    async send(mail, signal) {
      const info = await transporter.sendMail({ ...mail, signal });
      await mkdir(dir, { recursive: true });
      const name = mail.messageId.replace(/[<>]/g, '').replace(/[^A-Za-z0-9._@-]/g, '_');
      await writeFile(path.join(dir, `${name}.eml`), info.message as Buffer);
    },
    async verify() {
      await mkdir(dir, { recursive: true });
    },
    close: () => transporter.close(),
  };
}
