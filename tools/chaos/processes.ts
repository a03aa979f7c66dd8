// The real processes of a chaos run: Toxiproxy, the Temporal dev server (file persistence), the sandbox
// payment gateway, several workers and the API, each its own OS process; the SMTP sink and the Groq and
// Tavily stand-ins in this process. Troupe reaches MySQL, SMTP, the gateway, Groq and Tavily only through
// Toxiproxy, so faults are real TCP behaviour (latency, resets, a cut), not mocks.
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { Toxiproxy } from 'toxiproxy-node-client';
import { GROQ_KEY, groqStandIn } from '../../test/support/groq';
import { freePort } from '../../test/support/ports';
import { type Part, spawnPart, spawnWorker } from '../../test/support/processes';
import { SmtpSink } from '../../test/support/smtp-sink';
import type { StandIn } from '../../test/support/stand-in';
import { TAVILY_KEY, tavilyStandIn } from '../../test/support/tavily';
import { WebhookReceiver } from '../../test/support/webhook-receiver';
import { type DevServer, startDevServer } from '../local/dev-server';
import { ensureTemporalCli } from '../local/temporal-cli';
import { ensureToxiproxy } from './toxiproxy';

export const PROXIED = ['mysql', 'smtp', 'gateway', 'groq', 'tavily', 'receiver'] as const;
export type Proxied = (typeof PROXIED)[number];
export const GATEWAY_KEY = 'sk_test_troupe_sandbox';
/** The secret the sandbox signs its webhooks with, and the API checks them with. */
export const WEBHOOK_SECRET = 'whsec_troupe_chaos_0123456789';

export interface ChaosOptions {
  database: string;
  mysqlUrl: string;
  workers: number;
  holdSeconds: number;
  dataDir: string;
  log: (line: string) => void;
  /** The dev server keeps its state in memory (no restarts planned; the bench's usual server). */
  temporalInMemory?: boolean;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(what: string, timeoutMs: number, probe: () => Promise<unknown>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await probe();
      return;
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`${what} not ready in ${timeoutMs / 1000} s: ${err}`);
      await sleep(250);
    }
  }
}

/** A restart on a loaded machine may be slow once; try three times before the run fails. */
async function again<T>(what: string, start: () => Promise<T>, log: (line: string) => void): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await start();
    } catch (err) {
      if (attempt === 3) throw err;
      log(`${what} did not start (${(err as Error).message.split('\n')[0]}); trying again`);
      await sleep(2_000);
    }
  }
}

/** Everything a run starts, with the handles faults act on. */
export class Stack {
  toxiproxy!: Toxiproxy;
  private toxiproxyProcess?: ChildProcess;
  readonly ports = {} as Record<Proxied, number>;
  temporal!: DevServer;
  private temporalPort = 0;
  private cli = '';
  gateway!: Part;
  gatewayUrl = '';
  readonly gatewayKey = GATEWAY_KEY;
  readonly workers: (Part | undefined)[] = [];
  api!: Part;
  apiUrl = '';
  smtp = new SmtpSink();
  /** The run's webhook subscriber (behind Toxiproxy, like every service Troupe calls). */
  receiver = new WebhookReceiver();
  groq: StandIn = groqStandIn();
  tavily: StandIn = tavilyStandIn();
  /** Output of processes that exited (killed workers), kept for the run's log files. */
  readonly pastOutput: { name: string; lines: string[] }[] = [];

  constructor(readonly options: ChaosOptions) {}

  /** MySQL as Troupe sees it: through the proxy. */
  troupeMysqlUrl(): string {
    const url = new URL(this.options.mysqlUrl);
    url.host = `127.0.0.1:${this.ports.mysql}`;
    url.pathname = `/${this.options.database}`;
    return url.toString();
  }

  /** MySQL as the checker (and the gateway, a separate system) sees it: direct. */
  directMysqlUrl(): string {
    const url = new URL(this.options.mysqlUrl);
    url.pathname = `/${this.options.database}`;
    return url.toString();
  }

  troupeEnv(): Record<string, string> {
    const proxy = (name: Proxied) => `127.0.0.1:${this.ports[name]}`;
    return {
      NODE_ENV: 'development',
      MYSQL_URL: this.troupeMysqlUrl(),
      MIGRATE_ON_START: 'false',
      TEMPORAL_ADDRESS: this.temporal.address,
      TEMPORAL_TASK_QUEUE: 'chaos',
      SMTP_URL: `smtp://${proxy('smtp')}`,
      MAIL_FROM: 'Troupe <troupe@chaos.test>',
      LEAD_REPORT_TO: 'sales@chaos.test',
      PAYMENT_GATEWAY_URL: `http://${proxy('gateway')}`,
      PAYMENT_GATEWAY_API_KEY: GATEWAY_KEY,
      PAYMENT_GATEWAY_TIMEOUT_MS: '5000',
      GROQ_API_KEY: GROQ_KEY,
      GROQ_BASE_URL: `http://${proxy('groq')}`,
      TAVILY_API_KEY: TAVILY_KEY,
      TAVILY_BASE_URL: `http://${proxy('tavily')}`,
      BOOKING_HOLD_SECONDS: String(this.options.holdSeconds),
      GROQ_MAX_REQUESTS_PER_SECOND: '1000',
      RATE_LIMIT_PER_MINUTE: '1000000',
      SHUTDOWN_GRACE_SECONDS: '5',
      DATA_DIR: this.options.dataDir,
      GATEWAY_WEBHOOK_SECRET: WEBHOOK_SECRET,
      // Outbound webhooks: retries over about three minutes (not days), so the run can wait them out.
      WEBHOOK_RETRY_SCHEDULE: '1s,2s,5s,10s,15s,20s,30s,30s,30s,30s',
      WEBHOOK_TIMEOUT_MS: '5000',
      WEBHOOK_DISABLE_AFTER_SECONDS: '86400',
    };
  }

  async start(): Promise<void> {
    const { log } = this.options;
    await Promise.all([this.smtp.start(), this.groq.start(), this.tavily.start(), this.receiver.start()]);

    const toxiproxyBin = await ensureToxiproxy(log);
    const toxiproxyPort = await freePort();
    this.toxiproxyProcess = spawn(toxiproxyBin, ['-host', '127.0.0.1', '-port', String(toxiproxyPort)], {
      stdio: 'ignore',
    });
    this.toxiproxy = new Toxiproxy(`http://127.0.0.1:${toxiproxyPort}`);
    await until('Toxiproxy', 15_000, () => this.toxiproxy.getVersion());

    this.cli = await ensureTemporalCli(log);
    this.temporalPort = await freePort();
    await this.startTemporal();

    const gatewayPort = await freePort();
    const apiPort = await freePort();
    // The gateway sends its signed events to the API, twice each and out of order (its chaos mode).
    this.gateway = await spawnPart(
      'gateway/main.ts',
      {
        MYSQL_URL: this.directMysqlUrl(),
        SANDBOX_GATEWAY_PORT: String(gatewayPort),
        NODE_ENV: 'development',
        SANDBOX_GATEWAY_WEBHOOK_URLS: `http://127.0.0.1:${apiPort}/api/v1/webhooks/gateway`,
        SANDBOX_GATEWAY_WEBHOOK_SECRET: WEBHOOK_SECRET,
        SANDBOX_GATEWAY_WEBHOOK_MODE: 'chaos',
        SANDBOX_GATEWAY_PENDING_SECONDS: String(this.options.holdSeconds * 2),
      },
      /Sandbox payment gateway listening/,
    );
    this.gatewayUrl = `http://127.0.0.1:${gatewayPort}`;

    const upstream: Record<Proxied, string> = {
      mysql: new URL(this.options.mysqlUrl).host,
      smtp: `127.0.0.1:${this.smtp.port}`,
      gateway: `127.0.0.1:${gatewayPort}`,
      groq: new URL(this.groq.url).host,
      tavily: new URL(this.tavily.url).host,
      receiver: new URL(this.receiver.url).host,
    };
    for (const name of PROXIED) {
      this.ports[name] = await freePort();
      await this.toxiproxy.createProxy({
        name,
        listen: `127.0.0.1:${this.ports[name]}`,
        upstream: upstream[name],
      });
    }

    // The first worker builds the workflow bundle (cached by source hash); the others load it.
    for (let i = 0; i < this.options.workers; i++) await this.startWorker(i);
    this.api = await spawnPart('api/main.ts', { ...this.troupeEnv(), PORT: String(apiPort) }, /listening/i);
    this.apiUrl = `http://127.0.0.1:${apiPort}`;
  }

  private async startTemporal(): Promise<void> {
    this.temporal = await startDevServer({
      cli: this.cli,
      port: this.temporalPort,
      ...(!this.options.temporalInMemory && { dbFile: path.join(this.options.dataDir, 'temporal.db') }),
    });
  }

  /** Stops the dev server, waits, and starts it again on the same port and file: state must survive. */
  async restartTemporal(downMs: number): Promise<void> {
    await this.temporal.stop();
    await sleep(downMs);
    await again('the Temporal dev server', () => this.startTemporal(), this.options.log);
  }

  async startWorker(index: number): Promise<void> {
    this.workers[index] = await again(
      `worker ${index}`,
      () => spawnWorker(this.troupeEnv()),
      this.options.log,
    );
  }

  /**
   * SIGKILL: no drain, no goodbye; in-flight activities and workflow tasks are cut off. Kills the given
   * worker, or another running one if that one is down (being restarted); returns which, or undefined
   * if none is running.
   */
  async killWorker(preferred: number): Promise<number | undefined> {
    const index = this.workers[preferred] ? preferred : this.workers.findIndex((w) => w !== undefined);
    const worker = index >= 0 ? this.workers[index] : undefined;
    if (!worker) return undefined;
    this.workers[index] = undefined;
    this.pastOutput.push({ name: `worker-${index}-killed-${Date.now()}`, lines: worker.output });
    worker.child.kill('SIGKILL');
    await worker.exited;
    return index;
  }

  /** Every process's output, for the run's log folder. */
  outputs(): { name: string; lines: string[] }[] {
    return [
      ...this.pastOutput,
      { name: 'gateway', lines: this.gateway?.output ?? [] },
      { name: 'api', lines: this.api?.output ?? [] },
      ...this.workers.flatMap((w, i) => (w ? [{ name: `worker-${i}`, lines: w.output }] : [])),
    ];
  }

  async stop(): Promise<void> {
    const parts = [this.api, ...this.workers, this.gateway].filter((p): p is Part => Boolean(p));
    await Promise.all(
      parts.map(async (part) => {
        if (part.child.exitCode !== null || part.child.signalCode !== null) return;
        part.child.kill('SIGTERM');
        const timer = setTimeout(() => part.child.kill('SIGKILL'), 10_000);
        await part.exited;
        clearTimeout(timer);
      }),
    );
    await this.temporal?.stop();
    this.toxiproxyProcess?.kill('SIGTERM');
    await Promise.all([this.smtp.stop(), this.groq.stop(), this.tavily.stop(), this.receiver.stop()]);
  }
}
