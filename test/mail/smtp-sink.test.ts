import { connect } from 'node:net';
import nodemailer from 'nodemailer';
import { SmtpSink } from '../support/smtp-sink';

// A worker SIGKILLed in the middle of a send resets its SMTP connection. The test SMTP server must
// take that as a real mail server does (drop the connection, keep serving), not crash the test
// process with an unhandled 'error' event (CI: "Test suite failed to run: read ECONNRESET").
describe('the test SMTP server', () => {
  it('keeps serving after a client resets its connection mid-conversation', async () => {
    const sink = await new SmtpSink().start();
    try {
      const socket = connect(sink.port, '127.0.0.1');
      await new Promise<void>((resolve) => socket.once('data', () => resolve()));
      socket.write('EHLO crashing-worker\r\nMAIL FROM:<a@example.com>\r\n');
      await new Promise((resolve) => setTimeout(resolve, 50));
      socket.resetAndDestroy();
      await new Promise((resolve) => setTimeout(resolve, 200));

      expect(sink.connectionErrors.map((e) => (e as NodeJS.ErrnoException).code)).toContain('ECONNRESET');
      const transport = nodemailer.createTransport({ url: sink.url } as never);
      await transport.sendMail({ from: 'a@example.com', to: 'b@example.com', subject: 'after', text: 'x' });
      expect(sink.received.map((m) => m.subject)).toEqual(['after']);
    } finally {
      await sink.stop();
    }
  });
});
