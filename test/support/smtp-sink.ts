import type { AddressInfo } from 'node:net';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  from: string;
  to: string[];
  raw: string;
  messageId: string | undefined;
  subject: string | undefined;
  html: string;
  text: string;
}

/**
 * A real SMTP server in-process that keeps what it receives; it can refuse after reading a message,
 * and answer slowly (as a loaded or distant mail server does).
 */
export class SmtpSink {
  readonly received: ReceivedMail[] = [];
  /** Connections that broke (a client killed mid-send resets its socket): kept, as a server logs them. */
  readonly connectionErrors: Error[] = [];
  private failures = 0;
  private replyDelayMs = 0;
  private readonly server: SMTPServer;
  port = 0;

  constructor() {
    this.server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onData: (stream, session, callback) => {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', async () => {
          const raw = Buffer.concat(chunks).toString('utf8');
          const parsed = await simpleParser(raw);
          this.received.push({
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            to: session.envelope.rcptTo.map((r) => r.address),
            raw,
            messageId: parsed.messageId,
            subject: parsed.subject,
            html: typeof parsed.html === 'string' ? parsed.html : '',
            text: parsed.text ?? '',
          });
          // A slow server: the message is kept at once, the "250 OK" comes later.
          if (this.replyDelayMs > 0)
            await new Promise((resolve) => setTimeout(resolve, this.replyDelayMs).unref());
          if (this.failures > 0) {
            this.failures--;
            // The message was received, but the client is told it was not: what a dropped reply looks like.
            const err = Object.assign(new Error('Temporary failure, try again'), { responseCode: 451 });
            return callback(err);
          }
          callback();
        });
      },
    });
    // smtp-server re-emits every connection's socket error on the server; unheard, it would be thrown.
    this.server.on('error', (err) => this.connectionErrors.push(err));
  }

  /** The next `count` messages are read and kept, then answered with 451. */
  failAfterReceiving(count: number): void {
    this.failures = count;
  }

  /** Every message is answered this long after its data arrived (0: at once). */
  answerAfter(ms: number): this {
    this.replyDelayMs = ms;
    return this;
  }

  get url(): string {
    return `smtp://127.0.0.1:${this.port}`;
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.server.address() as AddressInfo).port;
    return this;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
