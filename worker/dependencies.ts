import type { ActivityDeps } from '../activities';
import { createGroq } from '../clients/groq';
import { createMailer } from '../clients/mailer';
import { HttpPaymentGateway } from '../clients/payment-gateway';
import { TavilyClient } from '../clients/tavily';
import type { Config } from '../config';
import type { Db } from '../db';
import type { Logger } from '../observability/logger';

/** Builds what activities need from configuration; a missing key switches that part to offline mode. */
export function activityDependencies(config: Config, db: Db, logger: Logger): ActivityDeps {
  const { tavily, groq, mail } = config;
  if (!tavily.apiKey)
    logger.warn('OFFLINE research: TAVILY_API_KEY is not set; leads are researched from their own data');
  if (!groq.apiKey)
    logger.warn('OFFLINE analysis: GROQ_API_KEY is not set; leads are scored by the rule-based scorer');
  if (!mail.smtpUrl)
    logger.warn(
      { outbox: mail.outboxDir },
      'OFFLINE mail: SMTP_URL is not set; mail is written to the outbox',
    );
  return {
    db,
    mailer: createMailer({ smtpUrl: mail.smtpUrl, outboxDir: mail.outboxDir }),
    mailFrom: mail.from,
    mailSendTimeoutMs: mail.sendTimeoutMs,
    leadReportTo: mail.leadReportTo,
    tavily: tavily.apiKey ? new TavilyClient({ apiKey: tavily.apiKey, baseUrl: tavily.baseUrl }) : undefined,
    groq: groq.apiKey
      ? createGroq({ apiKey: groq.apiKey, baseUrl: groq.baseUrl, model: groq.model })
      : undefined,
    paymentGateway: new HttpPaymentGateway({
      baseUrl: config.payments.gatewayUrl,
      apiKey: config.payments.gatewayApiKey,
      timeoutMs: config.payments.gatewayTimeoutMs,
    }),
  };
}
