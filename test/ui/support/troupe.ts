// Troupe as `npm start` runs it (tools/local/start.ts: the Temporal dev server with its Web UI and
// --ui-codec-endpoint, the gateway, a worker, the API), on free ports and a database of its own, with the
// Tavily and Groq stand-ins and an SMTP sink in this process.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { prepareDatabase } from '../../support/environment';
import { groqStandIn } from '../../support/groq';
import { eventually, testEnv } from '../../support/harness';
import { children, freeRun, run, stopChildren } from '../../support/npm-start';
import { freePort } from '../../support/ports';
import { SmtpSink } from '../../support/smtp-sink';
import type { StandIn } from '../../support/stand-in';
import { standInEnv } from '../../support/stand-in-env';
import { tavilyStandIn } from '../../support/tavily';

export interface StartedTroupe {
  /** The API, e.g. http://localhost:3000 */
  api: string;
  /** The dev server's Web UI (with the codec), e.g. http://localhost:8233 */
  ui: string;
  uiPort: number;
  temporalAddress: string;
  mysqlUrl: string;
  env: Record<string, string>;
  tavily: StandIn;
  groq: StandIn;
  smtp: SmtpSink;
  output: string[];
  stop(): Promise<void>;
}

/**
 * `npm start` with `env` on top (API_KEYS…); resolves once it prints "Troupe is ready". `corsOrigins`
 * are allowed to call the codec besides the dev server's UI (CODEC_CORS_ORIGINS).
 */
export async function startTroupeAsNpmStart(
  env: Record<string, string> = {},
  corsOrigins: string[] = [],
): Promise<StartedTroupe> {
  const [tavily, groq, smtp] = await Promise.all([
    tavilyStandIn().start(),
    groqStandIn().start(),
    new SmtpSink().start(),
  ]);
  const mysqlUrl = await prepareDatabase(`${process.env.TEST_MYSQL_DATABASE ?? 'troupe_test'}_ui`);
  const [port, temporalPort, uiPort, gatewayPort] = [
    await freePort(),
    await freePort(),
    await freePort(),
    await freePort(),
  ];
  const fullEnv: Record<string, string> = {
    ...testEnv({ LOG_LEVEL: 'info', NODE_ENV: 'development', TEMPORAL_ADDRESS: undefined }),
    ...standInEnv({ tavily, groq, smtp }),
    MYSQL_URL: mysqlUrl,
    LOG_FORMAT: 'json',
    DATA_DIR: mkdtempSync(path.join(tmpdir(), 'troupe-ui-')),
    PORT: String(port),
    TEMPORAL_DEV_SERVER_PORT: String(temporalPort),
    TEMPORAL_UI_PORT: String(uiPort),
    SANDBOX_GATEWAY_PORT: String(gatewayPort),
    METRICS_PORT: String(await freeRun(1)),
    WORKER_HEALTH_PORT: String(await freeRun(1)),
    ...(corsOrigins.length > 0 && {
      CODEC_CORS_ORIGINS: [`http://localhost:${uiPort}`, `http://127.0.0.1:${uiPort}`, ...corsOrigins].join(
        ',',
      ),
    }),
    ...env,
  };
  const started = run('tools/local/start.ts', fullEnv);
  children.push(started.child);
  const stop = async () => {
    await stopChildren();
    await Promise.all([tavily.stop(), groq.stop(), smtp.stop()]);
  };
  try {
    // Ready, or the reason it is not: npm start exiting fails at once, with its output.
    const exited = started.exited.then((code) => {
      throw new Error(`npm start exited with ${code}:\n${started.output.join('\n')}`);
    });
    exited.catch(() => {});
    await Promise.race([
      eventually(
        async () => {
          if (started.child.exitCode !== null || started.child.signalCode !== null) return; // `exited` says why
          expect(started.output.join('\n')).toMatch(/Troupe is ready/);
        },
        180_000,
        500,
      ),
      exited,
    ]);
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    api: `http://localhost:${port}`,
    ui: `http://localhost:${uiPort}`,
    uiPort,
    temporalAddress: `127.0.0.1:${temporalPort}`,
    mysqlUrl,
    env: fullEnv,
    tavily,
    groq,
    smtp,
    output: started.output,
    stop,
  };
}
