// Troupe as production runs it, against a Temporal server it is given: API and worker processes (each
// its own OS process), the sandbox payment gateway, and in this process the SMTP sink and the Groq and
// Tavily stand-ins. Used by the cluster test and the cluster sizing run.
import { TEST_PAYLOAD_KEYS } from './encryption';
import { GROQ_KEY, groqStandIn } from './groq';
import { freePort } from './ports';
import { type Part, spawnPart, spawnWorker } from './processes';
import { SmtpSink } from './smtp-sink';
import type { StandIn } from './stand-in';
import { TAVILY_KEY, tavilyStandIn } from './tavily';

export interface TroupeProcesses {
  env: Record<string, string>;
  apis: { part: Part; url: string }[];
  workers: (Part | undefined)[];
  smtp: SmtpSink;
  groq: StandIn;
  /** The sandbox payment gateway's URL (its own process). */
  gatewayUrl: string;
  /** SIGKILLs worker `index` and starts a new one in its place. */
  replaceWorker(index: number, downMs: number): Promise<void>;
  /** SIGKILLs API `index`; starts it again on the same port after `downMs` (callers may do things meanwhile). */
  restartApi(index: number, downMs: number): Promise<void>;
  stop(): Promise<void>;
}

export async function startTroupeProcesses(options: {
  temporalAddress: string;
  mysqlUrl: string;
  apis: number;
  workers: number;
  dataDir: string;
  /** More settings for the API and workers (they win over the defaults here). */
  env?: Record<string, string>;
  /** The gateway's own settings; `SANDBOX_GATEWAY_WEBHOOK_URLS` defaults to the first API's webhook route. */
  gatewayEnv?: Record<string, string>;
  /** The gateway's database (a separate system); Troupe's when unset. */
  gatewayMysqlUrl?: string;
}): Promise<TroupeProcesses> {
  const smtp = new SmtpSink();
  const groq = groqStandIn();
  const tavily = tavilyStandIn();
  await Promise.all([smtp.start(), groq.start(), tavily.start()]);
  const gatewayPort = await freePort();
  const apiPorts = await Promise.all(Array.from({ length: options.apis }, () => freePort()));
  const gateway = await spawnPart(
    'gateway/main.ts',
    {
      MYSQL_URL: options.gatewayMysqlUrl ?? options.mysqlUrl,
      SANDBOX_GATEWAY_PORT: String(gatewayPort),
      NODE_ENV: 'development',
      ...(apiPorts[0] && {
        SANDBOX_GATEWAY_WEBHOOK_URLS: `http://127.0.0.1:${apiPorts[0]}/api/v1/webhooks/gateway`,
      }),
      ...options.gatewayEnv,
    },
    /Sandbox payment gateway listening/,
  );
  const env: Record<string, string> = {
    NODE_ENV: 'development',
    MYSQL_URL: options.mysqlUrl,
    MIGRATE_ON_START: 'false',
    TEMPORAL_ADDRESS: options.temporalAddress,
    TEMPORAL_TASK_QUEUE: `cluster-${Date.now()}`,
    SMTP_URL: smtp.url,
    MAIL_FROM: 'Troupe <troupe@cluster.test>',
    LEAD_REPORT_TO: 'sales@cluster.test',
    PAYMENT_GATEWAY_URL: `http://127.0.0.1:${gatewayPort}`,
    PAYMENT_GATEWAY_API_KEY: 'sk_test_troupe_sandbox',
    GROQ_API_KEY: GROQ_KEY,
    GROQ_BASE_URL: groq.url,
    TAVILY_API_KEY: TAVILY_KEY,
    TAVILY_BASE_URL: tavily.url,
    GROQ_MAX_REQUESTS_PER_SECOND: '1000',
    RATE_LIMIT_PER_MINUTE: '1000000',
    SHUTDOWN_GRACE_SECONDS: '5',
    PAYLOAD_ENCRYPTION_KEYS: TEST_PAYLOAD_KEYS,
    DATA_DIR: options.dataDir,
    ...options.env,
  };
  const workers: (Part | undefined)[] = [];
  const apis: { part: Part; url: string }[] = [];
  const stop = async () => {
    const parts = [...apis.map((a) => a.part), ...workers, gateway].filter((p): p is Part => Boolean(p));
    for (const part of parts) part.child.kill('SIGKILL');
    await Promise.all(parts.map((p) => p.exited));
    await Promise.all([smtp.stop(), groq.stop(), tavily.stop()]);
  };
  try {
    // The first worker builds the workflow bundle (cached by source hash); the others load it.
    for (let i = 0; i < options.workers; i++) workers[i] = await spawnWorker(env);
    for (const port of apiPorts) {
      apis.push({
        part: await spawnPart('api/main.ts', { ...env, PORT: String(port) }, /listening/i),
        url: `http://127.0.0.1:${port}`,
      });
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    env,
    apis,
    workers,
    smtp,
    groq,
    gatewayUrl: `http://127.0.0.1:${gatewayPort}`,
    async restartApi(index, downMs) {
      const api = apis[index];
      if (!api) throw new Error(`no API ${index}`);
      api.part.child.kill('SIGKILL');
      await api.part.exited;
      await new Promise((resolve) => setTimeout(resolve, downMs));
      const port = new URL(api.url).port;
      api.part = await spawnPart('api/main.ts', { ...env, PORT: port }, /listening/i);
    },
    async replaceWorker(index, downMs) {
      const worker = workers[index];
      worker?.child.kill('SIGKILL');
      await worker?.exited;
      await new Promise((resolve) => setTimeout(resolve, downMs));
      workers[index] = await spawnWorker(env);
    },
    stop,
  };
}
