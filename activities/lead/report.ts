import type { LeadAnalysis, LeadResearch } from '../../workflows/lead/schemas';
import type { LeadProfile, LeadReportDelivery } from '../../workflows/lead/shared';
import { type MailDeps, sendOnce } from '../mail/send-once';
import { renderLeadReport } from './report-template';

export interface SendLeadReportInput {
  lead: LeadProfile;
  research: LeadResearch;
  analysis: LeadAnalysis;
}

export function createReportActivities(mail: MailDeps & { leadReportTo: string }) {
  return {
    /** Emails the intelligence report once per lead, to the lead's `notifyEmail` or LEAD_REPORT_TO. */
    async sendLeadReport({ lead, research, analysis }: SendLeadReportInput): Promise<LeadReportDelivery> {
      const report = renderLeadReport(lead, research, analysis);
      return sendOnce(mail, {
        key: `lead-report:${lead.id}`,
        to: lead.notifyEmail ?? mail.leadReportTo,
        ...report,
      });
    },
  };
}
