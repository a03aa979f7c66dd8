import Groq from 'groq-sdk';

export interface GroqSettings {
  client: Groq;
  model: string;
}

/** groq-sdk with its own retries off: Temporal's activity retries own that, visibly, in the Web UI. */
export function createGroq(options: { apiKey: string; baseUrl: string; model: string }): GroqSettings {
  return {
    client: new Groq({ apiKey: options.apiKey, baseURL: options.baseUrl, maxRetries: 0, timeout: 60_000 }),
    model: options.model,
  };
}
