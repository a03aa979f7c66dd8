// The peer's HTTP side: `POST /leads` validates the body as Troupe does, writes the lead row (one per
// email), and enqueues its job with the lead's id as job id, so a repeated post never adds a second.
import type { Queue } from 'bullmq';
import express from 'express';
import { createLeadBody } from '../../../api/leads/schemas';
import { findLead, insertLead } from '../../../api/leads/store';
import type { Db } from '../../../db';
import { newLeadId } from '../../../db/lead-ids';
import { PEER_JOB_OPTIONS, type PeerJob, peerJobId } from './shared';

export function peerApp(db: Db, queue: Queue<PeerJob>) {
  const app = express();
  app.use(express.json());
  app.post('/leads', async (req, res) => {
    const parsed = createLeadBody.safeParse(req.body);
    if (!parsed.success) {
      res.status(400).json({ error: parsed.error.message });
      return;
    }
    try {
      const { created, id } = await insertLead(db, newLeadId(), parsed.data);
      const lead = await findLead(db, id);
      if (!lead) throw new Error(`lead ${id} vanished after insert`);
      if (lead.status === 'NEW') {
        const { email, name, company } = lead;
        const profile = {
          id,
          email,
          name,
          company,
          ...(lead.title && { title: lead.title }),
          ...(lead.linkedinUrl && { linkedinUrl: lead.linkedinUrl }),
          ...(lead.website && { website: lead.website }),
          ...(lead.notifyEmail && { notifyEmail: lead.notifyEmail }),
        };
        await queue.add('lead', { lead: profile }, { ...PEER_JOB_OPTIONS, jobId: peerJobId(id) });
      }
      res.status(created ? 202 : 200).json(lead);
    } catch (err) {
      res.status(503).json({ error: (err as Error).message });
    }
  });
  return app;
}
