import type { GroqSettings } from '../../clients/groq';
import type { TavilyClient } from '../../clients/tavily';
import type { MailDeps } from '../mail/send-once';
import { createAnalysisActivities } from './analysis';
import { createReportActivities } from './report';
import { createResearchActivities } from './research';
import { createLeadStatusActivities } from './status';

export interface LeadActivityDeps {
  mail: MailDeps & { leadReportTo: string };
  /** Unset: offline research from what the lead submitted. */
  tavily?: TavilyClient;
  /** Unset: the offline rule-based scorer. */
  groq?: GroqSettings;
}

export function createLeadActivities(deps: LeadActivityDeps) {
  return {
    ...createLeadStatusActivities(deps.mail.db),
    ...createResearchActivities(deps.tavily),
    ...createAnalysisActivities(deps.groq),
    ...createReportActivities(deps.mail),
  };
}

export type LeadActivities = ReturnType<typeof createLeadActivities>;
