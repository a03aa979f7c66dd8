import { z } from 'zod';
import { describeBody, HttpError, readBody } from './http-error';
import { retryAfterMs } from './retry-after';

/** The subset of Tavily's `POST /search` request Troupe uses (https://docs.tavily.com/documentation/api-reference/endpoint/search). */
export interface TavilySearchRequest {
  query: string;
  topic?: 'general' | 'news';
  search_depth?: 'basic' | 'advanced';
  max_results?: number;
  include_answer?: boolean;
  include_domains?: string[];
  days?: number;
}

const responseSchema = z.object({
  query: z.string().optional(),
  answer: z.string().nullish(),
  results: z.array(
    z.object({
      title: z.string().default(''),
      url: z.string(),
      content: z.string().default(''),
      score: z.number().optional(),
      published_date: z.string().nullish(),
    }),
  ),
});
export type TavilySearchResponse = z.infer<typeof responseSchema>;

export interface TavilyClientOptions {
  apiKey: string;
  baseUrl: string;
  timeoutMs?: number;
}

/** A small client for Tavily's HTTP API: bearer auth, a timeout, and errors that carry the status. */
export class TavilyClient {
  constructor(private readonly options: TavilyClientOptions) {}

  async search(request: TavilySearchRequest, signal?: AbortSignal): Promise<TavilySearchResponse> {
    const timeout = AbortSignal.timeout(this.options.timeoutMs ?? 20_000);
    const response = await fetch(new URL('/search', this.options.baseUrl), {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${this.options.apiKey}` },
      body: JSON.stringify(request),
      signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
    });
    const body = await readBody(response);
    if (!response.ok) {
      throw new HttpError(
        'Tavily',
        response.status,
        describeBody(body) || response.statusText,
        retryAfterMs(response.headers),
      );
    }
    const parsed = responseSchema.safeParse(body);
    if (!parsed.success) {
      throw new HttpError('Tavily', 502, `unexpected response shape: ${z.prettifyError(parsed.error)}`);
    }
    return parsed.data;
  }
}
