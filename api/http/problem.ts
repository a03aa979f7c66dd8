import { z } from 'zod';

/** One field that failed validation: where (`body.email`, `query.limit`, `header.idempotency-key`) and why. */
export interface FieldError {
  field: string;
  message: string;
}

export const problemSchema = z
  .object({
    type: z.string().describe('A URI naming the kind of problem; `about:blank` when the status says it all'),
    title: z.string(),
    status: z.int(),
    detail: z.string(),
    instance: z.string().optional(),
    requestId: z.string().optional(),
    errors: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
  })
  .catchall(z.unknown())
  .meta({ id: 'Problem', description: 'RFC 9457 problem details' });

export type ProblemBody = z.infer<typeof problemSchema>;

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  402: 'Payment Required',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  410: 'Gone',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/** Problem types beyond the plain HTTP status; documented in the README. */
export const problemType = (slug: string) => `tag:troupe.dev,2026:problems/${slug}`;

/** Thrown anywhere in a request; the error handler renders it as `application/problem+json`. */
export class Problem extends Error {
  override name = 'Problem';
  constructor(
    readonly status: number,
    readonly detail: string,
    readonly options: {
      type?: string;
      title?: string;
      errors?: FieldError[];
      headers?: Record<string, string>;
      extensions?: Record<string, unknown>;
    } = {},
  ) {
    super(detail);
  }

  body(instance: string, requestId?: string): ProblemBody {
    return {
      type: this.options.type ?? 'about:blank',
      title: this.options.title ?? TITLES[this.status] ?? 'Error',
      status: this.status,
      detail: this.detail,
      instance,
      ...(requestId && { requestId }),
      ...(this.options.errors && { errors: this.options.errors }),
      ...this.options.extensions,
    };
  }
}

export const validationProblem = (errors: FieldError[]) =>
  new Problem(400, `The request is invalid: ${errors.map((e) => `${e.field} ${e.message}`).join('; ')}`, {
    type: problemType('validation-error'),
    title: 'Invalid request',
    errors,
  });

export const notFound = (what: string) => new Problem(404, `${what} was not found`);

/** zod issues → field errors with a readable location (`body.email`) and wording a client can act on. */
export function fieldErrors(location: string, error: z.ZodError): FieldError[] {
  return error.issues.flatMap((issue) => {
    const field = [location, ...issue.path.map(String)].join('.');
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ field: `${field}.${key}`, message: 'is not a known field' }));
    }
    if (issue.code === 'invalid_type' && /received undefined$/.test(issue.message)) {
      return [{ field, message: 'is required' }];
    }
    return [{ field, message: issue.message }];
  });
}
