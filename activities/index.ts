import type { GroqSettings } from '../clients/groq';
import type { Mailer } from '../clients/mailer';
import type { TavilyClient } from '../clients/tavily';
import type { Db } from '../db';
import { createLeadActivities } from './lead';

/** Everything activities touch, built once by the worker (or a test) and passed in. */
export interface ActivityDeps {
  db: Db;
  mailer: Mailer;
  mailFrom: string;
  leadReportTo: string;
  tavily?: TavilyClient;
  groq?: GroqSettings;
}

export function createActivities(deps: ActivityDeps) {
  const mail = { db: deps.db, mailer: deps.mailer, from: deps.mailFrom };
  return {
    ...createLeadActivities({
      mail: { ...mail, leadReportTo: deps.leadReportTo },
      tavily: deps.tavily,
      groq: deps.groq,
    }),
  };
}

export type Activities = ReturnType<typeof createActivities>;
