import { ApplicationFailure } from '@temporalio/common';
import { failureForStatus, toFailure } from '../../activities/failures';
import { smtpFailure } from '../../activities/mail/send-once';
import { HttpError } from '../../clients/http-error';
import { cappedDelay, retryAfterMs } from '../../clients/retry-after';

const NOW = Date.parse('2026-01-01T12:00:00Z');
const headers = (values: Record<string, string>) => new Headers(values);
const hint = (values: Record<string, string>) => retryAfterMs(headers(values), NOW);

describe('retryAfterMs: a usable wait, or undefined to let the retry policy decide', () => {
  it('reads delta-seconds, including fractions', () => {
    expect(hint({ 'retry-after': '2' })).toBe(2_000);
    expect(hint({ 'retry-after': ' 1.5 ' })).toBe(1_500);
  });

  it('reads an HTTP date in the future', () => {
    expect(hint({ 'retry-after': 'Thu, 01 Jan 2026 12:00:30 GMT' })).toBe(30_000);
  });

  it("prefers Groq's retry-after-ms over retry-after", () => {
    expect(hint({ 'retry-after-ms': '250', 'retry-after': '9' })).toBe(250);
    expect(hint({ 'retry-after-ms': '0.4' })).toBe(1);
  });

  it.each([
    ['zero seconds', { 'retry-after': '0' }],
    ['negative seconds', { 'retry-after': '-5' }],
    ['unparsable', { 'retry-after': 'soon' }],
    ['empty', { 'retry-after': '' }],
    ['a date already past', { 'retry-after': 'Thu, 01 Jan 2026 11:59:00 GMT' }],
    ['a date of now', { 'retry-after': 'Thu, 01 Jan 2026 12:00:00 GMT' }],
    ['zero retry-after-ms', { 'retry-after-ms': '0' }],
    ['negative retry-after-ms', { 'retry-after-ms': '-100' }],
    ['unparsable retry-after-ms', { 'retry-after-ms': 'NaN' }],
    ['infinite seconds', { 'retry-after': '1e999' }],
    ['no header', {}],
  ])('gives no hint for %s', (_name, values) => {
    expect(hint(values)).toBeUndefined();
  });

  it('falls back to retry-after when retry-after-ms is unusable', () => {
    expect(hint({ 'retry-after-ms': '0', 'retry-after': '3' })).toBe(3_000);
  });

  it('gives no hint without headers', () => {
    expect(retryAfterMs(undefined)).toBeUndefined();
  });

  it('caps a huge hint and keeps none as none', () => {
    expect(cappedDelay(86_400_000, 60_000)).toBe(60_000);
    expect(cappedDelay(5_000, 60_000)).toBe(5_000);
    expect(cappedDelay(undefined, 60_000)).toBeUndefined();
  });
});

describe('429 answers become retryable failures that never say "retry after 0"', () => {
  const nextDelay = (failure: Error) => (failure as ApplicationFailure).nextRetryDelay;

  it.each(['Groq', 'Tavily', 'Payment gateway'])(
    '%s 429 with Retry-After 0 uses the policy backoff',
    (service) => {
      const failure = toFailure(
        service,
        new HttpError(service, 429, 'slow down', hint({ 'retry-after': '0' })),
      );
      expect(failure).toBeInstanceOf(ApplicationFailure);
      expect((failure as ApplicationFailure).nonRetryable).toBe(false);
      expect((failure as ApplicationFailure).type).toBe('RateLimited');
      expect(nextDelay(failure)).toBeUndefined();
    },
  );

  it('a usable Retry-After becomes the next retry delay', () => {
    expect(nextDelay(failureForStatus('Groq', 429, '', 2_000))).toBe(2_000);
  });

  it('a day-long Retry-After is capped (outside an activity: at Temporal’s default 100 s)', () => {
    expect(nextDelay(failureForStatus('Tavily', 429, '', 86_400_000))).toBe(100_000);
  });
});

describe('SMTP transient replies are retried, permanent ones are not', () => {
  it.each([421, 450, 451, 452, 454])('%i is retried with the policy backoff', (responseCode) => {
    const failure = smtpFailure(
      Object.assign(new Error('try later'), { responseCode }),
    ) as ApplicationFailure;
    expect(failure.nonRetryable).toBe(false);
    expect(failure.nextRetryDelay).toBeUndefined();
  });

  it('a connection reset is retried', () => {
    const failure = smtpFailure(
      Object.assign(new Error('reset'), { code: 'ECONNRESET' }),
    ) as ApplicationFailure;
    expect(failure.nonRetryable).toBe(false);
  });

  it.each([550, 554])('%i is permanent', (responseCode) => {
    const failure = smtpFailure(Object.assign(new Error('no'), { responseCode })) as ApplicationFailure;
    expect(failure.nonRetryable).toBe(true);
  });
});
