import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { SEARCH_ATTRIBUTES } from '../../clients/temporal';

export interface DevServer {
  address: string;
  uiUrl?: string;
  process: ChildProcess;
  /** SIGTERM, then SIGKILL after `graceMs` (default 10 s). */
  stop(graceMs?: number): Promise<void>;
}

export interface DevServerOptions {
  cli: string;
  port: number;
  /** Persist to this SQLite file so workflows survive a restart; in memory when unset. */
  dbFile?: string;
  /** Web UI port; no UI when unset. */
  uiPort?: number;
  namespace?: string;
  /** The Web UI decodes payloads through this remote codec (`--ui-codec-endpoint`). */
  codecEndpoint?: string;
  /** Where the server's own output goes, line by line. */
  output?: (line: string) => void;
}

/** A search attribute type as the temporal CLI spells it (KEYWORD → Keyword). */
export const cliType = (type: string) =>
  type === 'KEYWORD_LIST' ? 'KeywordList' : type.charAt(0) + type.slice(1).toLowerCase();

/** Starts `temporal server start-dev` with Troupe's search attributes and waits until it answers. */
export async function startDevServer(options: DevServerOptions): Promise<DevServer> {
  const args = [
    'server',
    'start-dev',
    '--ip',
    '127.0.0.1',
    '--port',
    String(options.port),
    '--log-level',
    'error',
  ];
  for (const key of SEARCH_ATTRIBUTES) args.push('--search-attribute', `${key.name}=${cliType(key.type)}`);
  if (options.namespace && options.namespace !== 'default') args.push('--namespace', options.namespace);
  if (options.dbFile) {
    mkdirSync(path.dirname(options.dbFile), { recursive: true });
    args.push('--db-filename', options.dbFile);
  }
  args.push(...(options.uiPort ? ['--ui-port', String(options.uiPort)] : ['--headless']));
  if (options.uiPort && options.codecEndpoint) args.push('--ui-codec-endpoint', options.codecEndpoint);

  // Own process group: a terminal's Ctrl-C reaches only the supervisor, which stops parts in order.
  const child = spawn(options.cli, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const output = options.output ?? (() => {});
  for (const stream of [child.stdout, child.stderr]) {
    let buffered = '';
    stream?.on('data', (chunk: Buffer) => {
      const lines = (buffered + chunk.toString()).split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) if (line.trim()) output(line);
    });
  }
  let exited: string | undefined;
  child.on('exit', (code, signal) => {
    exited = `exited with ${signal ?? code}`;
  });

  const address = `127.0.0.1:${options.port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exited) throw new Error(`Temporal dev server ${exited} (is port ${options.port} already in use?)`);
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1_000 });
      await connection.workflowService.getSystemInfo({});
      await connection.close();
      break;
    } catch (err) {
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(
          `Temporal dev server did not answer on ${address} within 60 s: ${(err as Error).message}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  return {
    address,
    uiUrl: options.uiPort ? `http://localhost:${options.uiPort}` : undefined,
    process: child,
    stop: (graceMs = 10_000) =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), Math.min(graceMs, 10_000)).unref();
      }),
  };
}
