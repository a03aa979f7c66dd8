import type { SandboxGateway } from './gateway';
import { GROQ_KEY } from './groq';
import type { SmtpSink } from './smtp-sink';
import type { StandIn } from './stand-in';
import { TAVILY_KEY } from './tavily';

/** The environment that points Troupe at local stand-ins instead of Tavily, Groq, SMTP and a PSP. */
export function standInEnv(parts: {
  tavily?: StandIn;
  groq?: StandIn;
  smtp?: SmtpSink;
  gateway?: SandboxGateway;
}) {
  return {
    ...(parts.tavily && { TAVILY_API_KEY: TAVILY_KEY, TAVILY_BASE_URL: parts.tavily.url }),
    ...(parts.groq && { GROQ_API_KEY: GROQ_KEY, GROQ_BASE_URL: parts.groq.url }),
    ...(parts.smtp && { SMTP_URL: parts.smtp.url }),
    ...(parts.gateway && { PAYMENT_GATEWAY_URL: parts.gateway.url }),
  };
}
