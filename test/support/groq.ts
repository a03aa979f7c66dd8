import { type Recorded, type Scripted, StandIn } from './stand-in';

export const GROQ_KEY = 'gsk-test-key';
export const GROQ_MODEL = 'llama-3.3-70b-versatile';

/** An OpenAI-compatible chat completion, as Groq returns it. */
export function completion(content: string, model = GROQ_MODEL): Scripted {
  return {
    status: 200,
    body: {
      id: `chatcmpl-${Math.random().toString(36).slice(2)}`,
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model,
      choices: [{ index: 0, message: { role: 'assistant', content }, logprobs: null, finish_reason: 'stop' }],
      usage: { prompt_tokens: 500, completion_tokens: 120, total_tokens: 620 },
      x_groq: { id: 'req_test' },
    },
  };
}

/** A 429 with `retry-after: <seconds>`, or with exactly the headers given. */
export const rateLimited = (retryAfter: number | Record<string, string>): Scripted => ({
  status: 429,
  headers: typeof retryAfter === 'number' ? { 'retry-after': String(retryAfter) } : retryAfter,
  body: { error: { message: 'Rate limit reached for model', type: 'tokens', code: 'rate_limit_exceeded' } },
});

/** A valid analysis whose score depends on the lead, so tests can tell whose reply was stored. */
export function analysisFor(request: Recorded) {
  const messages = (request.body as { messages: { role: string; content: string }[] }).messages;
  const user = JSON.parse(messages.find((m) => m.role === 'user')?.content ?? '{}') as {
    lead?: { name?: string };
  };
  const name = user.lead?.name ?? 'unknown';
  return {
    score: 40 + (name.length % 50),
    summary: `${name} looks like a reasonable fit.`,
    reasons: [{ factor: 'Role', impact: 'positive', detail: `${name} holds a relevant role.` }],
    talkingPoints: ['Ask about their roadmap'],
  };
}

/** Groq's `POST /openai/v1/chat/completions`: bearer auth, a model and messages, JSON-mode replies. */
export function groqStandIn(): StandIn {
  return new StandIn((req) => {
    if (req.method !== 'POST' || req.path !== '/openai/v1/chat/completions') {
      return {
        status: 404,
        body: { error: { message: 'Unknown request URL', type: 'invalid_request_error' } },
      };
    }
    if (req.headers.authorization !== `Bearer ${GROQ_KEY}`) {
      return {
        status: 401,
        body: {
          error: { message: 'Invalid API Key', type: 'invalid_request_error', code: 'invalid_api_key' },
        },
      };
    }
    return completion(JSON.stringify(analysisFor(req)));
  });
}
