import type { LeadAnalysis, LeadResearch } from '../../workflows/lead/schemas';
import type { LeadProfile, LeadReportDelivery, ReportOutcome } from '../../workflows/lead/shared';
import { deliveryState } from '../mail/deliveries';
import { type MailDeps, messageIdFor, sendOnce } from '../mail/send-once';
import { renderLeadReport } from './report-template';

export interface SendLeadReportInput {
  lead: LeadProfile;
  research: LeadResearch;
  analysis: LeadAnalysis;
}

const reportKey = (leadId: string) => `lead-report:${leadId}`;

export function createReportActivities(mail: MailDeps & { leadReportTo: string }) {
  return {
    /** Emails the intelligence report once per lead, to the lead's `notifyEmail` or LEAD_REPORT_TO. */
    async sendLeadReport({ lead, research, analysis }: SendLeadReportInput): Promise<LeadReportDelivery> {
      const report = renderLeadReport(lead, research, analysis);
      return sendOnce(mail, {
        key: reportKey(lead.id),
        to: lead.notifyEmail ?? mail.leadReportTo,
        ...report,
      });
    },

    /** What the delivery record says of a lead's report, once sending it has finally failed. */
    async leadReportOutcome({ leadId }: { leadId: string }): Promise<ReportOutcome> {
      const known = await deliveryState(mail.db, reportKey(leadId));
      if (known.state === 'sent') {
        const { message_id, recipient, sent_at, transport } = known.row;
        return {
          state: 'sent',
          delivery: {
            messageId: message_id,
            sentTo: recipient,
            sentAt: (sent_at ?? new Date()).toISOString(),
            transport: transport as LeadReportDelivery['transport'],
          },
        };
      }
      return { state: known.state, messageId: messageIdFor(reportKey(leadId), mail.from) };
    },
  };
}
