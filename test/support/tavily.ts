import { type Recorded, StandIn } from './stand-in';

export const TAVILY_KEY = 'tvly-test-key';

/**
 * Tavily's `POST /search` as documented: bearer auth (401 with Tavily's error body otherwise), a
 * required `query`, and `{ query, answer, results: [{ title, url, content, score, published_date? }] }`.
 */
export function tavilyStandIn(): StandIn {
  return new StandIn((req: Recorded) => {
    if (req.method !== 'POST' || req.path !== '/search')
      return { status: 404, body: { detail: 'Not Found' } };
    if (req.headers.authorization !== `Bearer ${TAVILY_KEY}`) {
      return { status: 401, body: { detail: { error: 'Unauthorized: missing or invalid API key.' } } };
    }
    const body = req.body as { query?: unknown; topic?: string; include_domains?: string[] };
    if (typeof body?.query !== 'string' || !body.query) {
      return { status: 400, body: { detail: { error: 'query is required' } } };
    }
    const domain = body.include_domains?.[0] ?? 'example.com';
    const news = body.topic === 'news';
    return {
      status: 200,
      body: {
        query: body.query,
        answer: news ? null : `What the web says about: ${body.query}`,
        images: [],
        results: [1, 2].map((n) => ({
          title: `${news ? 'News' : 'Page'} ${n} for ${body.query}`,
          url: `https://${domain}/${news ? 'news' : 'page'}-${n}`,
          content: `Result ${n} about ${body.query}.`,
          score: 0.9 - n / 10,
          ...(news && { published_date: '2026-11-20T09:00:00Z' }),
        })),
        response_time: 0.05,
      },
    };
  });
}
