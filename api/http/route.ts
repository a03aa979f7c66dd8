import type { OpenAPIRegistry, ResponseConfig } from '@asteasolutions/zod-to-openapi';
import type { Request, Response, Router } from 'express';
import type { z } from 'zod';
import { fieldErrors, problemSchema, validationProblem } from './problem';

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';
type Schema = z.ZodType | undefined;
type Out<S extends Schema> = S extends z.ZodType ? z.output<S> : undefined;

export interface ResponseSpec {
  description: string;
  schema?: z.ZodType;
  headers?: z.ZodObject;
  /** Not JSON: e.g. `text/event-stream` (the handler writes the response itself). */
  mediaType?: string;
}

export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** The handler has taken over the response (a stream); nothing more is written. */
  streamed?: boolean;
}

export interface RouteInput<P extends Schema, Q extends Schema, H extends Schema, B extends Schema> {
  params: Out<P>;
  query: Out<Q>;
  headers: Out<H>;
  body: Out<B>;
  req: Request;
  res: Response;
}

/**
 * One route, declared once: its zod schemas validate requests, shape the OpenAPI document and (outside
 * production) check the responses, so the docs cannot drift from the code.
 */
export interface RouteSpec<
  P extends Schema = Schema,
  Q extends Schema = Schema,
  H extends Schema = Schema,
  B extends Schema = Schema,
> {
  method: Method;
  /** OpenAPI style: `/api/v1/leads/{id}`. */
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  tags: string[];
  /** Routes under /api need a key when API_KEYS is set; health and docs do not. */
  public?: boolean;
  request?: {
    params?: P;
    query?: Q;
    headers?: H;
    body?: B;
    /**
     * A body the handler reads itself, as a stream (not JSON): its media types, for the docs. The
     * global JSON parser leaves such routes alone (see `streamedBodyRoute`).
     */
    streamedBody?: { mediaTypes: string[]; description: string; maxBytes: number };
  };
  responses: Record<number, ResponseSpec>;
  handler: (input: RouteInput<P, Q, H, B>) => Promise<Reply>;
}

export const route = <P extends Schema, Q extends Schema, H extends Schema, B extends Schema>(
  spec: RouteSpec<P, Q, H, B>,
): RouteSpec => spec as unknown as RouteSpec;

export const expressPath = (path: string) => path.replace(/\{(\w+)\}/g, ':$1');

/** Whether a request is for a route that reads its own (non-JSON) body. */
export function streamedBodyRoute(routes: RouteSpec[]): (method: string, path: string) => boolean {
  const streamed = routes
    .filter((r) => r.request?.streamedBody)
    .map((r) => ({
      method: r.method.toUpperCase(),
      pattern: new RegExp(`^${expressPath(r.path).replace(/:\w+/g, '[^/]+')}$`),
    }));
  return (method, path) => streamed.some((r) => r.method === method && r.pattern.test(path));
}

const PROBLEM_JSON = 'application/problem+json';

/** Problems every route can answer, besides those it declares. */
function standardProblems(spec: RouteSpec): Record<number, string> {
  const problems: Record<number, string> = {
    500: 'Unexpected error',
    503: 'A dependency is unavailable',
    504: 'A workflow did not answer within WORKFLOW_ANSWER_TIMEOUT_MS; the request may still take effect',
  };
  if (spec.request) problems[400] = 'The request is invalid; `errors` names each field';
  if (spec.request?.body) {
    problems[413] = 'The body is larger than 100 kB';
    problems[415] = 'The body is not `application/json`';
  }
  const streamed = spec.request?.streamedBody;
  if (streamed) {
    problems[413] = `The body is larger than ${streamed.maxBytes} bytes, or has too many rows`;
    problems[415] = `The body is not ${streamed.mediaTypes.map((t) => `\`${t}\``).join(' or ')}`;
  }
  if (!spec.public) {
    problems[401] = 'Missing or unknown API key (when API_KEYS is set)';
    problems[429] = 'Rate limit exceeded; see `Retry-After`';
  }
  return problems;
}

export function registerOpenApi(registry: OpenAPIRegistry, spec: RouteSpec): void {
  const responses: Record<string, ResponseConfig> = {};
  for (const [status, problem] of Object.entries(standardProblems(spec))) {
    responses[status] = { description: problem, content: { [PROBLEM_JSON]: { schema: problemSchema } } };
  }
  for (const [status, response] of Object.entries(spec.responses)) {
    const mediaType = response.mediaType ?? (Number(status) >= 400 ? PROBLEM_JSON : 'application/json');
    responses[status] = {
      description: response.description,
      ...(response.headers && { headers: response.headers }),
      ...(response.schema && { content: { [mediaType]: { schema: response.schema } } }),
    };
  }
  registry.registerPath({
    method: spec.method,
    path: spec.path,
    operationId: spec.operationId,
    summary: spec.summary,
    description: spec.description,
    tags: spec.tags,
    ...(spec.public && { security: [] }),
    request: {
      ...(spec.request?.params && { params: spec.request.params as z.ZodObject }),
      ...(spec.request?.query && { query: spec.request.query as z.ZodObject }),
      ...(spec.request?.headers && { headers: spec.request.headers as z.ZodObject }),
      ...(spec.request?.body && {
        body: { required: true, content: { 'application/json': { schema: spec.request.body } } },
      }),
      ...(spec.request?.streamedBody && {
        body: {
          required: true,
          description: spec.request.streamedBody.description,
          content: Object.fromEntries(
            spec.request.streamedBody.mediaTypes.map((type) => [
              type,
              { schema: { type: 'string' as const } },
            ]),
          ),
        },
      }),
    },
    responses,
  });
}

function parse(location: string, schema: Schema, value: unknown, errors: ReturnType<typeof fieldErrors>) {
  if (!schema) return undefined;
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  errors.push(...fieldErrors(location, result.error));
  return undefined;
}

export function mountRoute(router: Router, spec: RouteSpec, options: { checkResponses: boolean }): void {
  router[spec.method](expressPath(spec.path), async (req, res) => {
    const errors: ReturnType<typeof fieldErrors> = [];
    const input = {
      params: parse('path', spec.request?.params, req.params, errors),
      query: parse('query', spec.request?.query, req.query, errors),
      headers: parse('header', spec.request?.headers, req.headers, errors),
      // A route without a body schema ignores any body it is sent.
      body: parse('body', spec.request?.body, req.body ?? {}, errors),
      req,
      res,
    };
    if (errors.length > 0) throw validationProblem(errors);

    const reply = await spec.handler(input as RouteInput<Schema, Schema, Schema, Schema>);
    if (reply.streamed) return;
    const declared = spec.responses[reply.status];
    if (options.checkResponses) {
      if (!declared) throw new Error(`${spec.operationId} answered undeclared status ${reply.status}`);
      const checked = declared.schema?.safeParse(reply.body);
      if (checked && !checked.success) {
        throw new Error(
          `${spec.operationId} ${reply.status} response breaks its schema: ${checked.error.message}`,
        );
      }
    }
    if (reply.headers) res.set(reply.headers);
    if (reply.body === undefined) {
      res.status(reply.status).end();
    } else if (reply.status >= 400) {
      res.status(reply.status).type(PROBLEM_JSON).send(JSON.stringify(reply.body));
    } else {
      res.status(reply.status).json(reply.body);
    }
  });
}
