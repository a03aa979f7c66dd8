import { z } from 'zod';
import type { ApiDeps } from '../deps';
import { notFound, problemSchema } from '../http/problem';
import { route } from '../http/route';
import { listShowsQuery, seatMapSchema, showId, showPageSchema } from './schemas';
import { findShow, listShows, seatMap } from './store';

export function showRoutes({ db }: ApiDeps) {
  return [
    route({
      method: 'get',
      path: '/api/v1/shows',
      operationId: 'listShows',
      summary: 'List shows, soonest first, by city and day',
      tags: ['Shows'],
      request: { query: listShowsQuery },
      responses: { 200: { description: 'A page of shows', schema: showPageSchema } },
      handler: async ({ query }) => ({ status: 200, body: await listShows(db, query) }),
    }),
    route({
      method: 'get',
      path: '/api/v1/shows/{id}/seats',
      operationId: 'getSeatMap',
      summary: 'Every seat of a show with its status: AVAILABLE, HELD or BOOKED',
      tags: ['Shows'],
      request: { params: z.object({ id: showId }) },
      responses: {
        200: { description: 'The seat map', schema: seatMapSchema },
        404: { description: 'No such show', schema: problemSchema },
      },
      async handler({ params }) {
        if (!(await findShow(db, params.id))) throw notFound(`Show ${params.id}`);
        return { status: 200, body: { showId: params.id, seats: await seatMap(db, params.id) } };
      },
    }),
  ];
}
