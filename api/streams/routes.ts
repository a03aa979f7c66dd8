import type { Request, Response } from 'express';
import { z } from 'zod';
import type { EntityType } from '../../db/entity-events';
import { importSummary } from '../../db/lead-imports';
import { bookingId } from '../bookings/schemas';
import { findBooking } from '../bookings/store';
import type { ApiDeps } from '../deps';
import { notFound, Problem, problemSchema } from '../http/problem';
import { type Reply, route } from '../http/route';
import { importId } from '../lead-imports/schemas';
import { leadId } from '../leads/schemas';
import { findLead } from '../leads/store';
import { type EventHub, SseStream } from './hub';

const FINAL: Record<EntityType, string[]> = {
  lead: ['COMPLETED', 'FAILED'],
  booking: ['CONFIRMED', 'REJECTED', 'EXPIRED', 'CANCELLED', 'FAILED'],
  import: ['COMPLETED', 'CANCELLED'],
};

const lastEventId = z
  .string()
  .regex(/^\d{1,19}$/, 'must be the id of an event this stream sent')
  .optional()
  .describe('Resume after this event (browsers send it when they reconnect)');

const streamDescription = (what: string, final: string[]) =>
  `Server-sent events: \`snapshot\` (the ${what} now) at once, then \`status\` for every change, then \`end\` after ` +
  `${final.join(', ')} and the stream closes. \`Last-Event-ID\` resumes without gaps or repeats; a comment every ` +
  'SSE_HEARTBEAT_SECONDS keeps proxies from closing it. 503 when SSE_MAX_STREAMS streams are open.';

/**
 * GET …/events for leads, bookings and imports: the current state from MySQL, what the client missed
 * (Last-Event-ID) from the change log, then live changes from the process's one EventHub.
 */
export function streamRoutes({ db }: ApiDeps, hub: EventHub) {
  async function open(
    req: Request,
    res: Response,
    entity: {
      type: EntityType;
      id: string;
      load: () => Promise<{ status: string } | undefined>;
      what: string;
    },
    resumeAfter: string | undefined,
  ): Promise<Reply> {
    if (hub.full) {
      throw new Problem(503, 'Too many open event streams on this server; retry shortly', {
        headers: { 'Retry-After': '5' },
      });
    }
    const current = await entity.load();
    if (!current) throw notFound(`${entity.what} ${entity.id}`);
    res.status(200).set({
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    res.flushHeaders();
    req.socket.setNoDelay(true);
    const isFinal = (status: string) => FINAL[entity.type].includes(status);
    const stream = new SseStream(res, `${entity.type}:${entity.id}`, entity.type === 'import', isFinal, () =>
      hub.remove(stream),
    );
    // Registered before catching up, so nothing committed meanwhile is lost (held, then sent in order).
    hub.add(stream);
    stream.write('retry: 2000\n\n');
    try {
      if (resumeAfter !== undefined) {
        stream.lastId = Number(resumeAfter);
        const missed = await hub.since(entity.type, entity.id, stream.lastId);
        stream.live(missed);
        if (!stream.closed && isFinal(current.status) && missed.length === 0) stream.end(resumeAfter);
      } else {
        const latest = await hub.latestId(entity.type, entity.id);
        // The state read before `latest`: anything newer comes as a status event after it.
        const now = (await entity.load()) ?? current;
        stream.lastStatus = now.status;
        stream.send({ id: String(latest), event: 'snapshot', data: now });
        stream.live();
        if (!stream.closed && isFinal(now.status)) stream.end(String(stream.lastId));
      }
    } catch (err) {
      stream.close();
      throw err;
    }
    return { status: 200, streamed: true };
  }

  const responses = (what: string) => ({
    200: { description: `The ${what}'s events`, mediaType: 'text/event-stream', schema: z.string() },
    404: { description: `No such ${what}`, schema: problemSchema },
  });
  const headers = z.object({ 'last-event-id': lastEventId });

  return [
    route({
      method: 'get',
      path: '/api/v1/leads/{id}/events',
      operationId: 'streamLeadEvents',
      summary: "A lead's state changes as server-sent events",
      description: streamDescription('lead', FINAL.lead),
      tags: ['Leads'],
      request: { params: z.object({ id: leadId }), headers },
      responses: responses('lead'),
      handler: ({ params, headers, req, res }) =>
        open(
          req,
          res,
          { type: 'lead', id: params.id, what: 'Lead', load: () => findLead(db, params.id) },
          headers['last-event-id'],
        ),
    }),
    route({
      method: 'get',
      path: '/api/v1/bookings/{id}/events',
      operationId: 'streamBookingEvents',
      summary: "A booking's state changes as server-sent events",
      description: streamDescription('booking', FINAL.booking),
      tags: ['Bookings'],
      request: { params: z.object({ id: bookingId }), headers },
      responses: responses('booking'),
      handler: ({ params, headers, req, res }) =>
        open(
          req,
          res,
          { type: 'booking', id: params.id, what: 'Booking', load: () => findBooking(db, params.id) },
          headers['last-event-id'],
        ),
    }),
    route({
      method: 'get',
      path: '/api/v1/lead-imports/{id}/events',
      operationId: 'streamLeadImportEvents',
      summary: "An import's progress as server-sent events",
      description: streamDescription('import', FINAL.import),
      tags: ['Lead imports'],
      request: { params: z.object({ id: importId }), headers },
      responses: responses('import'),
      handler: ({ params, headers, req, res }) =>
        open(
          req,
          res,
          { type: 'import', id: params.id, what: 'Import', load: () => importSummary(db, params.id) },
          headers['last-event-id'],
        ),
    }),
  ];
}
