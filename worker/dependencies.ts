import type { Client } from '@temporalio/client';
import type { ActivityDeps } from '../activities';
import { createGroq } from '../clients/groq';
import { createMailer } from '../clients/mailer';
import { HttpPaymentGateway } from '../clients/payment-gateway';
import { TavilyClient } from '../clients/tavily';
import { connectClient } from '../clients/temporal';
import type { Config } from '../config';
import type { Db } from '../db';
import { secretSealer } from '../encryption/secrets';
import type { Logger } from '../observability/logger';

/** Builds what activities need from configuration; a missing key switches that part to offline mode. */
export function activityDependencies(config: Config, db: Db, logger: Logger): ActivityDeps & Closable {
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
  const temporal = lazyClient(config, logger);
  return {
    db,
    webhooks: {
      temporal: temporal.get,
      taskQueue: config.temporal.taskQueue,
      settings: config.webhooks,
      secrets: secretSealer(config),
    },
    close: temporal.close,
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

export interface Closable {
  /** Closes what the activities opened (the webhook publisher's Temporal connection). */
  close(): Promise<void>;
}

/** A Temporal client connected on first use and closed with the worker. */
function lazyClient(config: Config, logger: Logger) {
  let client: Promise<Client> | undefined;
  return {
    get: () => {
      client ??= connectClient(config, logger).catch((err) => {
        client = undefined;
        throw err;
      });
      return client;
    },
    close: async () => {
      const open = client;
      client = undefined;
      if (open) await (await open.catch(() => undefined))?.connection.close();
    },
  };
}
