import type { GroqSettings } from '../clients/groq';
import type { Mailer } from '../clients/mailer';
import type { PaymentGateway } from '../clients/payment-gateway';
import type { TavilyClient } from '../clients/tavily';
import type { Db } from '../db';
import { createBookingActivities } from './booking';
import { createLeadActivities } from './lead';
import { createLeadImportActivities } from './lead-import';
import { createPaymentActivities } from './payment';
import { createWebhookActivities, type WebhookDeps } from './webhooks';

/** Everything activities touch, built once by the worker (or a test) and passed in. */
export interface ActivityDeps {
  db: Db;
  mailer: Mailer;
  mailFrom: string;
  /** SMTP_SEND_TIMEOUT_MS: one send, connect to "250 OK". */
  mailSendTimeoutMs?: number;
  leadReportTo: string;
  tavily?: TavilyClient;
  groq?: GroqSettings;
  paymentGateway: PaymentGateway;
  /** Outbound webhooks: publishing business events and delivering them. */
  webhooks: Omit<WebhookDeps, 'db'>;
}

export function createActivities(deps: ActivityDeps) {
  const mail = {
    db: deps.db,
    mailer: deps.mailer,
    from: deps.mailFrom,
    sendTimeoutMs: deps.mailSendTimeoutMs,
  };
  return {
    ...createLeadActivities({
      mail: { ...mail, leadReportTo: deps.leadReportTo },
      tavily: deps.tavily,
      groq: deps.groq,
    }),
    ...createLeadImportActivities(deps.db),
    ...createBookingActivities({ db: deps.db, mail }),
    ...createPaymentActivities({ db: deps.db, gateway: deps.paymentGateway }),
    ...createWebhookActivities({ db: deps.db, ...deps.webhooks }),
  };
}

export type Activities = ReturnType<typeof createActivities>;
