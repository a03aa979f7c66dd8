import { z } from 'zod';
import { leadAnalysisSchema, leadResearchSchema } from '../../workflows/lead/schemas';
import { LEAD_STATUSES } from '../../workflows/lead/shared';

const text = (max: number) => z.string().trim().min(1).max(max);
export const emailAddress = z.string().trim().toLowerCase().pipe(z.email().max(320));
const httpUrl = z
  .url({ protocol: /^https?$/, hostname: z.regexes.domain, error: 'must be an http(s) URL' })
  .max(500);

export const leadId = z
  .string()
  .regex(/^ld_[0-9a-f]{24}$/, 'must be a lead id such as ld_0123456789abcdef01234567')
  .meta({ example: 'ld_5f0c9a8e1d2b3c4d5e6f7a8b' });

export const createLeadBody = z
  .strictObject({
    name: text(200).meta({ example: 'Ada Lovelace' }),
    email: emailAddress
      .describe("The lead's business key: trimmed and lower-cased, one lead per address")
      .meta({ example: 'ada@analytical.engines' }),
    company: text(200).meta({ example: 'Analytical Engines Ltd' }),
    title: text(200).optional().meta({ example: 'CTO' }),
    linkedinUrl: httpUrl.optional().meta({ example: 'https://www.linkedin.com/in/ada-lovelace' }),
    website: httpUrl.optional().meta({ example: 'https://analytical.engines' }),
    notifyEmail: emailAddress.optional().describe('Who receives the report; LEAD_REPORT_TO when absent'),
  })
  .meta({ id: 'CreateLead' });
export type CreateLead = z.output<typeof createLeadBody>;

export const leadSchema = z
  .object({
    id: leadId,
    workflowId: z.string(),
    status: z.enum(LEAD_STATUSES),
    name: z.string(),
    email: z.string(),
    company: z.string(),
    title: z.string().nullable(),
    linkedinUrl: z.string().nullable(),
    website: z.string().nullable(),
    notifyEmail: z.string().nullable(),
    research: leadResearchSchema.nullable(),
    analysis: leadAnalysisSchema.nullable().describe('The score (0-100) and the reasons behind it'),
    report: z
      .object({
        sentTo: z.string(),
        sentAt: z.iso.datetime(),
        messageId: z.string(),
        transport: z.enum(['smtp', 'outbox']).describe('`outbox`: written to a file, SMTP_URL is not set'),
      })
      .nullable()
      .describe('The intelligence report email, once sent'),
    error: z.object({ type: z.string(), message: z.string() }).nullable().describe('Why the lead FAILED'),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .meta({ id: 'Lead' });
export type LeadView = z.infer<typeof leadSchema>;

export const listLeadsQuery = z.strictObject({
  status: z.enum(LEAD_STATUSES).optional(),
  importId: z
    .string()
    .regex(/^li_[0-9a-f]{24}$/, 'must be an import id such as li_0123456789abcdef01234567')
    .optional()
    .describe("Only this import's leads (POST /api/v1/lead-imports)"),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().max(200).optional().describe('`nextCursor` from the previous page'),
});

export const leadPageSchema = z
  .object({ items: z.array(leadSchema), nextCursor: z.string().nullable() })
  .meta({ id: 'LeadPage' });
