import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Resource } from '@opentelemetry/resources';
import { NoopSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { makeWorkflowExporter } from '@temporalio/interceptors-opentelemetry';
import { bundleWorkflowCode, type WorkerOptions } from '@temporalio/worker';
import { FAILURE_CONVERTER_PATH } from '../encryption/data-converter';
import type { Logger } from '../observability/logger';

const ROOT = path.resolve(__dirname, '..');
export const WORKFLOWS_PATH = path.join(ROOT, 'workflows');

export function bundleOptions() {
  return {
    workflowsPath: require.resolve(WORKFLOWS_PATH),
    workflowInterceptorModules: [require.resolve(path.join(WORKFLOWS_PATH, 'interceptors'))],
    // Failure messages into encoded (so encrypted) attributes, inside the sandbox as outside it.
    failureConverterPath: FAILURE_CONVERTER_PATH,
  };
}

/**
 * The sinks a replay of the bundle needs: its tracing interceptor exports spans through `exporter`
 * (worker/worker.ts wires the real one); a replay's spans are not news, so they go nowhere.
 */
export function replaySinks(): NonNullable<WorkerOptions['sinks']> {
  return { exporter: makeWorkflowExporter(new NoopSpanProcessor(), new Resource({})) };
}

/**
 * Where the worker gets its workflow code from:
 * - WORKFLOW_BUNDLE_PATH (production, Docker): the prebuilt bundle, loaded as is;
 * - otherwise (development): a bundle cached under .cache/ keyed by a hash of the workflow sources,
 *   built on the fly when the sources changed, so a warm start skips webpack and never runs stale code.
 */
export async function workflowCode(
  logger: Logger,
  prebuiltPath?: string,
): Promise<Pick<WorkerOptions, 'workflowBundle'>> {
  if (prebuiltPath) {
    if (!existsSync(prebuiltPath)) throw new Error(`WORKFLOW_BUNDLE_PATH ${prebuiltPath} does not exist`);
    logger.info({ path: prebuiltPath }, 'Loading prebuilt workflow bundle');
    return { workflowBundle: { codePath: path.resolve(prebuiltPath) } };
  }
  const cacheDir = path.join(ROOT, '.cache', 'workflow-bundle');
  const codePath = path.join(cacheDir, `${sourceHash()}.js`);
  if (existsSync(codePath)) {
    logger.info({ path: codePath }, 'Workflow sources unchanged; loading cached bundle');
  } else {
    logger.info('Bundling workflows (sources changed or first start)');
    const { code } = await bundleWorkflowCode({ ...bundleOptions(), logger: quietWebpack(logger) });
    mkdirSync(cacheDir, { recursive: true });
    // Write then rename, so a worker starting alongside never reads half a file.
    const tmp = `${codePath}.${process.pid}.tmp`;
    writeFileSync(tmp, code);
    renameSync(tmp, codePath);
  }
  return { workflowBundle: { codePath } };
}

/** A hash of everything that goes into the bundle: workflow sources and the locked dependency versions. */
export function sourceHash(): string {
  const hash = createHash('sha256');
  const files = readdirSync(WORKFLOWS_PATH, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .sort();
  for (const file of files) hash.update(file).update(readFileSync(path.join(WORKFLOWS_PATH, file)));
  const lock = path.join(ROOT, 'package-lock.json');
  if (existsSync(lock)) hash.update(readFileSync(lock));
  return hash.digest('hex').slice(0, 16);
}

// Webpack's info output is noise at start-up; keep its warnings and errors.
export function quietWebpack(logger: Pick<Logger, 'warn' | 'error'>) {
  const forward = (level: 'warn' | 'error') => (message: string, meta?: object) =>
    logger[level](meta ?? {}, message);
  const drop = () => {};
  return { log: drop, trace: drop, debug: drop, info: drop, warn: forward('warn'), error: forward('error') };
}
