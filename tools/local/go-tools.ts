// Go programs Troupe runs beside itself (the Temporal CLI, the Temporal server and its SQL tool,
// Toxiproxy): found where the user put them, else built once with `go install` into a cache outside the
// repository (`$XDG_CACHE_HOME/troupe`, default `~/.cache/troupe`), with progress shown while it builds.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';

export interface GoTool {
  /** What the user reads in messages, e.g. "the Temporal CLI". */
  title: string;
  /** The package `go install` builds, e.g. `github.com/temporalio/cli/cmd/temporal`. */
  pkg: string;
  version: string;
  /** The file `go install` writes: the last element of the package path. */
  binary: string;
  /** The cache folder: `<cache>/<cacheName>/<version>/<binary>`. */
  cacheName: string;
  /** A variable that names the binary to use instead (checked first). */
  envVar?: string;
  /** A command on PATH to use before the cache, e.g. `temporal`. */
  onPath?: string;
  /** How a user without Go gets the program; shown when it cannot be built. */
  installHint?: string;
}

export const cacheRoot = () =>
  path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'troupe');

export const cachedPath = (tool: GoTool) => path.join(cacheRoot(), tool.cacheName, tool.version, tool.binary);

function commandOnPath(name: string): string | undefined {
  const found = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  return found.status === 0 ? found.stdout.trim() || undefined : undefined;
}

/** The binary to run, without building anything: the variable, then PATH, then the cache. */
export function findGoTool(tool: GoTool): string | undefined {
  const configured = tool.envVar ? process.env[tool.envVar] : undefined;
  if (configured) {
    if (!existsSync(configured)) throw new Error(`${tool.envVar}=${configured} does not exist`);
    return configured;
  }
  const cached = cachedPath(tool);
  return (tool.onPath ? commandOnPath(tool.onPath) : undefined) ?? (existsSync(cached) ? cached : undefined);
}

const goBinary = () =>
  commandOnPath('go') ?? (existsSync('/usr/local/go/bin/go') ? '/usr/local/go/bin/go' : undefined);

/**
 * Finds the tool, or builds it with `go install <pkg>@<version>` into the cache. While Go builds, a line
 * every 15 s says how many packages it has compiled, so a first run of several minutes is not silent.
 */
export async function ensureGoTool(tool: GoTool, log: (line: string) => void = console.log): Promise<string> {
  const found = findGoTool(tool);
  if (found) return found;
  const go = goBinary();
  if (!go) {
    throw new Error(
      `${tool.title} is needed and was not found, and Go is not installed to build it.\n` +
        (tool.installHint ? `  ${tool.installHint}\n` : '') +
        (tool.envVar ? `  Or set ${tool.envVar}=/path/to/${tool.binary}.` : ''),
    );
  }
  const target = path.dirname(cachedPath(tool));
  mkdirSync(target, { recursive: true });
  log(`Building ${tool.title} ${tool.version} with Go into ${target} (first run only, a few minutes)…`);
  // Build into a private folder, then rename: a concurrent run never sees half a binary.
  const staging = mkdtempSync(path.join(target, 'build-'));
  const started = Date.now();
  let compiled = 0;
  let lastLine = '';
  const ticker = setInterval(() => {
    const seconds = Math.round((Date.now() - started) / 1000);
    log(`  …still building ${tool.title}: ${compiled} packages compiled, ${seconds} s`);
  }, 15_000);
  try {
    await new Promise<void>((resolve, reject) => {
      const child = spawn(go, ['install', '-v', `${tool.pkg}@${tool.version}`], {
        stdio: ['ignore', 'inherit', 'pipe'],
        env: { ...process.env, GOBIN: staging, CGO_ENABLED: '0', GOFLAGS: '-buildvcs=false' },
      });
      // `-v` names each package as it is compiled; errors arrive on the same stream.
      createInterface({ input: child.stderr }).on('line', (line) => {
        if (/^go: downloading /.test(line)) return;
        if (/^[\w.@+/-]+$/.test(line)) compiled++;
        else log(`  ${line}`);
        lastLine = line;
      });
      child.on('error', reject);
      child.on('exit', (code) =>
        code === 0 ? resolve() : reject(new Error(`go install failed (exit ${code}): ${lastLine}`)),
      );
    });
    renameSync(path.join(staging, tool.binary), cachedPath(tool));
  } finally {
    clearInterval(ticker);
    rmSync(staging, { recursive: true, force: true });
  }
  log(`${tool.title} ready (${Math.round((Date.now() - started) / 1000)} s).`);
  return cachedPath(tool);
}
