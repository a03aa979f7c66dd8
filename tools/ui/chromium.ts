// The browser `npm run test:ui` drives: Debian's Chromium (playwright-core never downloads one). Found
// at CHROMIUM_PATH, else on PATH; installed with apt-get when missing and we are root (a fresh CI box).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const onPath = (name: string): string | undefined => {
  const found = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  return found.status === 0 ? found.stdout.trim() || undefined : undefined;
};

/** The Chromium binary, or undefined when there is none. */
export function findChromium(): string | undefined {
  const configured = process.env.CHROMIUM_PATH;
  if (configured) {
    if (!existsSync(configured)) throw new Error(`CHROMIUM_PATH=${configured} does not exist`);
    return configured;
  }
  return onPath('chromium') ?? onPath('chromium-browser');
}

const run = (command: string, args: string[]) => {
  const result = spawnSync(command, args, {
    stdio: 'inherit',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  if (result.status !== 0)
    throw new Error(`${command} ${args.join(' ')} failed (${result.status ?? result.signal})`);
};

/** Finds Chromium, or installs Debian's package (root with apt-get only); returns its path. */
export function ensureChromium(log: (line: string) => void = console.log): string {
  const found = findChromium();
  if (found) return found;
  const root = process.getuid?.() === 0;
  if (!root || !onPath('apt-get')) {
    throw new Error(
      'Chromium is needed for npm run test:ui and was not found.\n' +
        '  Install it (Debian/Ubuntu: sudo apt-get install chromium) or set CHROMIUM_PATH=/path/to/chromium.',
    );
  }
  log('Installing Chromium from Debian (apt-get install chromium, first run only)…');
  run('apt-get', ['update']);
  run('apt-get', ['install', '-y', 'chromium']);
  const installed = findChromium();
  if (!installed) throw new Error('apt-get installed chromium, but no chromium binary is on PATH');
  return installed;
}

if (require.main === module) {
  try {
    console.log(`Chromium: ${ensureChromium()}`);
  } catch (err) {
    console.error((err as Error).message);
    process.exit(1);
  }
}
