import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { z } from 'zod';
import { newLeadId } from '../../db/lead-ids';
import { type LeadProfile, LeadStatusAttribute, leadWorkflowId } from '../../workflows/lead/shared';
import type { leadWorkflow } from '../../workflows/lead/workflow';
import type { ApiDeps } from '../deps';
import { notFound, problemSchema } from '../http/problem';
import { route } from '../http/route';
import { withinAnswerTime } from '../http/workflow-errors';
import { claimIdempotencyKey, idempotencyKeyHeader } from '../idempotency';
import { createLeadBody, type LeadView, leadId, leadPageSchema, leadSchema, listLeadsQuery } from './schemas';
import { findLead, insertLead, listLeads } from './store';

const location = z.object({ Location: z.string().describe('Where to GET the lead') });

export function leadRoutes({ db, temporal, config }: ApiDeps) {
  /**
   * Starts the lead's one workflow. One lead per email (unique index), and USE_EXISTING makes concurrent
   * starts land on the same run; REJECT_DUPLICATE refuses a second run after the first has closed.
   */
  async function startEnrichment(lead: LeadView): Promise<void> {
    const profile: LeadProfile = {
      id: lead.id,
      name: lead.name,
      email: lead.email,
      company: lead.company,
      ...(lead.title && { title: lead.title }),
      ...(lead.linkedinUrl && { linkedinUrl: lead.linkedinUrl }),
      ...(lead.website && { website: lead.website }),
      ...(lead.notifyEmail && { notifyEmail: lead.notifyEmail }),
    };
    try {
      await withinAnswerTime(temporal, config.workflowAnswerTimeoutMs, () =>
        temporal.workflow.start<typeof leadWorkflow>('leadWorkflow', {
          taskQueue: config.temporal.taskQueue,
          workflowId: leadWorkflowId(lead.id),
          args: [profile],
          workflowIdConflictPolicy: 'USE_EXISTING',
          workflowIdReusePolicy: 'REJECT_DUPLICATE',
          typedSearchAttributes: [{ key: LeadStatusAttribute, value: 'NEW' }],
        }),
      );
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    }
  }

  return [
    route({
      method: 'post',
      path: '/api/v1/leads',
      operationId: 'createLead',
      summary: 'Submit a lead for enrichment',
      description:
        'Creates the lead and starts its enrichment: research (Tavily), analysis and score (Groq), then an emailed report. ' +
        'The same email, or a repeated Idempotency-Key, returns the existing lead with 200 and starts nothing.',
      tags: ['Leads'],
      request: { body: createLeadBody, headers: z.object({ 'idempotency-key': idempotencyKeyHeader }) },
      responses: {
        202: { description: 'Lead created; enrichment started', schema: leadSchema, headers: location },
        200: {
          description: 'The lead already exists; nothing new was started',
          schema: leadSchema,
          headers: location,
        },
        422: {
          description: 'The Idempotency-Key was used before with a different body',
          schema: problemSchema,
        },
      },
      async handler({ body, headers }) {
        // A random id: the id must not reveal the email. The unique email index makes one lead per email.
        let candidate = newLeadId();
        const key = headers['idempotency-key'];
        if (key) {
          candidate = await claimIdempotencyKey(db, {
            scope: 'lead',
            key,
            request: body,
            resourceId: candidate,
          });
        }
        const { created, id } = await insertLead(db, candidate, body);
        const lead = await findLead(db, id);
        if (!lead) throw new Error(`lead ${id} vanished after insert`);
        // NEW means no workflow has run yet (or a previous request died before starting it). The answer
        // shows the lead as it was read: a just-started enrichment is reported as NEW, as a 202 implies.
        if (lead.status === 'NEW') await startEnrichment(lead);
        return { status: created ? 202 : 200, body: lead, headers: { Location: `/api/v1/leads/${id}` } };
      },
    }),
    route({
      method: 'get',
      path: '/api/v1/leads/{id}',
      operationId: 'getLead',
      summary: 'Get a lead with its research, analysis, report delivery and status',
      tags: ['Leads'],
      request: { params: z.object({ id: leadId }) },
      responses: {
        200: { description: 'The lead', schema: leadSchema },
        404: { description: 'No such lead', schema: problemSchema },
      },
      async handler({ params }) {
        const lead = await findLead(db, params.id);
        if (!lead) throw notFound(`Lead ${params.id}`);
        return { status: 200, body: lead };
      },
    }),
    route({
      method: 'get',
      path: '/api/v1/leads',
      operationId: 'listLeads',
      summary: 'List leads, newest first',
      tags: ['Leads'],
      request: { query: listLeadsQuery },
      responses: { 200: { description: 'A page of leads', schema: leadPageSchema } },
      async handler({ query }) {
        return { status: 200, body: await listLeads(db, query) };
      },
    }),
  ];
}
