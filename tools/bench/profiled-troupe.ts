// Troupe as two OS processes (API and worker, as production runs it) started with `node --cpu-prof`,
// for `npm run bench -- --profile`. Both stop on SIGTERM as they do in production (the API closes its
// server and exits; the worker's SDK runtime drains), and V8 writes each profile as the process exits.
import { existsSync, readdirSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { troupeClient } from '../../clients/temporal';
import { loadConfig } from '../../config';
import { createDb } from '../../db';
import { type Troupe, testEnv } from '../../test/support/harness';
import { freePort } from '../../test/support/ports';
import { type Part, spawnPart, spawnWorker } from '../../test/support/processes';

// No fixed --cpu-prof-name: every thread writes a profile (tsx's module-loader thread too), and with
// one name the last thread to exit would overwrite the main thread's. V8's default name ends in
// <pid>.<thread id>.<seq>; the main thread is thread 0.
const cpuProf = (dir: string, name: string) => ['--cpu-prof', `--cpu-prof-dir=${path.join(dir, name)}`];

/** Moves the main thread's profile of `<dir>/<name>/` to `<dir>/<name>.cpuprofile`. */
function keepMainThread(dir: string, name: string): string | undefined {
  const sub = path.join(dir, name);
  const main = existsSync(sub)
    ? readdirSync(sub).find((f) => /\.\d+\.0\.\d+\.cpuprofile$/.test(f))
    : undefined;
  if (!main) return undefined;
  const target = path.join(dir, `${name}.cpuprofile`);
  renameSync(path.join(sub, main), target);
  // The other threads (the worker's workflow threads, tsx's loader) are kept as <name>.thread<id>.
  for (const f of readdirSync(sub)) {
    const thread = /\.\d+\.(\d+)\.\d+\.cpuprofile$/.exec(f)?.[1];
    if (thread) renameSync(path.join(sub, f), path.join(dir, `${name}.thread${thread}.cpuprofile`));
  }
  rmSync(sub, { recursive: true, force: true });
  return target;
}

async function sigterm(part: Part, what: string): Promise<void> {
  if (part.child.exitCode !== null || part.child.signalCode !== null) return;
  part.child.kill('SIGTERM');
  const timer = setTimeout(() => part.child.kill('SIGKILL'), 30_000);
  const code = await part.exited;
  clearTimeout(timer);
  if (code !== 0)
    throw new Error(`${what} exited with ${code} on SIGTERM:\n${part.output.slice(-20).join('\n')}`);
}

export async function startProfiledTroupe(
  envOverrides: Record<string, string>,
  dir: string,
): Promise<
  Troupe & {
    profiles: string[];
    startedAt: { worker: number; api: number };
    pids: { api?: number; worker?: number };
  }
> {
  const env = testEnv({ ...envOverrides, LOG_LEVEL: 'warn' });
  const config = loadConfig(env);
  const startedAt = { worker: Date.now(), api: 0 };
  const worker = await spawnWorker(
    { ...env, WORKFLOW_BUNDLE_PATH: process.env.TEST_WORKFLOW_BUNDLE ?? '' },
    cpuProf(dir, 'worker'),
  );
  const port = await freePort();
  startedAt.api = Date.now();
  const api = await spawnPart(
    'api/main.ts',
    { ...env, PORT: String(port) },
    /listening/i,
    cpuProf(dir, 'api'),
  );
  const client = troupeClient(await Connection.connect({ address: config.temporal.address }), config);
  const db = createDb(config.mysql.url);
  const profiles = ['api', 'worker'].map((name) => path.join(dir, `${name}.cpuprofile`));
  const stopWorker = () => sigterm(worker, 'the worker');
  return {
    url: `http://127.0.0.1:${port}`,
    config,
    env,
    client,
    db,
    profiles,
    startedAt,
    pids: { api: api.child.pid, worker: worker.child.pid },
    stopWorker,
    async stop() {
      await Promise.all([sigterm(api, 'the API'), stopWorker()]);
      await client.connection.close();
      await db.destroy();
      const missing = ['api', 'worker'].filter((name) => !keepMainThread(dir, name));
      if (missing.length) throw new Error(`no CPU profile written for ${missing.join(', ')}`);
    },
  };
}
