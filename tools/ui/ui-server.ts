// The Temporal Web UI on its own (temporalio/ui-server), the same UI the CLI's dev server embeds, for a
// second UI in front of the same Temporal server with another configuration: no codec, or a codec
// endpoint seen from another origin. Built once with Go into the cache, like the CLI.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ensureGoTool, type GoTool } from '../local/go-tools';

/** The version the Temporal CLI v1.5.1 embeds (its go.mod), so both UIs are the same program. */
export const UI_SERVER: GoTool = {
  title: 'the Temporal Web UI server',
  pkg: 'github.com/temporalio/ui-server/v2/cmd/server',
  version: 'v2.42.1',
  binary: 'server',
  cacheName: 'temporal-ui-server',
  envVar: 'TEMPORAL_UI_SERVER',
};

export const ensureUiServer = (log?: (line: string) => void) => ensureGoTool(UI_SERVER, log);

export interface UiServer {
  url: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** Starts a Web UI on `port` for the Temporal server at `temporalAddress`; a codec only if given one. */
export async function startUiServer(options: {
  temporalAddress: string;
  port: number;
  codecEndpoint?: string;
  /** Forward the signed-in user's access token to the codec as `Authorization: Bearer` (https only). */
  codecPassAccessToken?: boolean;
}): Promise<UiServer> {
  const root = mkdtempSync(path.join(tmpdir(), 'troupe-ui-server-'));
  mkdirSync(path.join(root, 'config'));
  const config = [
    `temporalGrpcAddress: ${options.temporalAddress}`,
    'host: 127.0.0.1',
    `port: ${options.port}`,
    'enableUi: true',
    'defaultNamespace: default',
    'notifyOnNewVersion: false',
    ...(options.codecEndpoint ? ['codec:', `  endpoint: ${options.codecEndpoint}`] : []),
    ...(options.codecEndpoint && options.codecPassAccessToken ? ['  passAccessToken: true'] : []),
  ].join('\n');
  writeFileSync(path.join(root, 'config', 'base.yaml'), `${config}\n`);
  writeFileSync(path.join(root, 'config', 'development.yaml'), '');
  const child = spawn(await ensureUiServer(), ['--root', root, '--env', 'development', 'start'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  for (const stream of [child.stdout, child.stderr])
    stream?.on('data', (c: Buffer) => output.push(c.toString()));
  const url = `http://localhost:${options.port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the Web UI server exited: ${output.join('')}`);
    try {
      if ((await fetch(`${url}/api/v1/settings`)).ok) break;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the Web UI server did not answer on ${url} within 30 s: ${output.join('')}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return {
    url,
    process: child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

if (require.main === module) {
  ensureUiServer()
    .then((binary) => console.log(`Temporal Web UI server: ${binary}`))
    .catch((err) => {
      console.error((err as Error).message);
      process.exit(1);
    });
}
