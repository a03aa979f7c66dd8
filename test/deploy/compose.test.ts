// No Docker engine in CI: these check the structure of docker-compose.yml and the Dockerfile.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { ENV_VARIABLES } from '../../config';

interface Service {
  image?: string;
  command?: string | string[];
  container_name?: string;
  ports?: unknown[];
  environment?: Record<string, string> | string[];
  healthcheck?: { test?: string | string[] };
  depends_on?: Record<string, { condition?: string }> | string[];
}

const root = path.resolve(__dirname, '../..');
const compose = parse(readFileSync(path.join(root, 'docker-compose.yml'), 'utf8')) as {
  services: Record<string, Service>;
};
const services = compose.services;
const service = (name: string): Service => services[name] ?? {};
const environment = (name: string): Record<string, string> => {
  const env = service(name).environment ?? {};
  return Array.isArray(env) ? Object.fromEntries(env.map((e) => e.split(/=(.*)/s).slice(0, 2))) : env;
};
const command = (name: string) => [service(name).command ?? []].flat().join(' ');

const dockerfile = readFileSync(path.join(root, 'Dockerfile'), 'utf8');
const stages = dockerfile.split(/^FROM /m).slice(1);
const lastStage = stages.at(-1) ?? '';

const APP_SERVICES = ['api', 'worker', 'seed', 'gateway'];

describe('docker-compose.yml', () => {
  it('runs every part of the system', () => {
    expect(Object.keys(services)).toEqual(
      expect.arrayContaining(['mysql', 'temporal', 'temporal-ui', 'mailpit', 'redis', ...APP_SERVICES]),
    );
  });

  it('pins every image to an explicit version tag', () => {
    const images = Object.values(services).flatMap((s) => (s.image ? [s.image] : []));
    expect(images.length).toBeGreaterThan(0);
    for (const image of images) {
      const tag = image.match(/:([^/:]+)$/)?.[1];
      expect({ image, tag }).toEqual({ image, tag: expect.stringMatching(/\d/) });
      expect(tag).not.toBe('latest');
    }
  });

  it.each(['mysql', 'temporal', 'api', 'worker', 'gateway'])('gives %s a healthcheck', (name) => {
    expect(service(name).healthcheck?.test).toBeTruthy();
  });

  it('lets workers scale out (no container_name, no host ports)', () => {
    expect(service('worker').container_name).toBeUndefined();
    expect(service('worker').ports).toBeUndefined();
  });

  it('lets the API be replicated (no container_name)', () => {
    expect(service('api').container_name).toBeUndefined();
  });

  it.each(APP_SERVICES)('sets only variables the app reads on %s', (name) => {
    const unknown = Object.keys(environment(name)).filter((k) => !(ENV_VARIABLES as string[]).includes(k));
    expect(unknown).toEqual([]);
  });

  it.each(['api', 'worker'])('points %s at the Temporal and MySQL services', (name) => {
    expect(environment(name).TEMPORAL_ADDRESS).toBe('temporal:7233');
    expect(environment(name).MYSQL_URL).toMatch(/^mysql:\/\/[^@]+@mysql:3306\/troupe$/);
  });

  it('persists Temporal in MySQL once MySQL is healthy', () => {
    expect(environment('temporal').DB).toBe('mysql8');
    expect(service('temporal').depends_on).toMatchObject({ mysql: { condition: 'service_healthy' } });
  });

  it('starts the compiled API and worker entry points', () => {
    expect(command('api')).toContain('dist/api/main.js');
    expect(command('worker')).toContain('dist/worker/main.js');
  });
});

describe('Dockerfile', () => {
  it('builds in stages on one pinned node image', () => {
    const bases = [...dockerfile.matchAll(/^FROM\s+(node:\S+)/gm)].map((m) => m[1]);
    expect(bases.length).toBeGreaterThanOrEqual(2);
    expect(new Set(bases).size).toBe(1);
    expect(bases[0]).toMatch(/^node:\d+\.\d+[\w.-]*$/);
  });

  it('runs as the unprivileged node user', () => {
    expect(lastStage).toMatch(/^USER node$/m);
  });

  it('points the worker at the prebuilt workflow bundle', () => {
    expect(dockerfile).toMatch(/WORKFLOW_BUNDLE_PATH=\S+/);
  });

  it('installs only production dependencies in the runtime stage', () => {
    expect(lastStage).toMatch(/npm ci --omit=dev/);
  });

  it('copies every source folder the production build compiles', () => {
    const tsconfig = JSON.parse(readFileSync(path.join(root, 'tsconfig.json'), 'utf8')) as {
      include: string[];
    };
    const build = JSON.parse(readFileSync(path.join(root, 'tsconfig.build.json'), 'utf8')) as {
      exclude: string[];
    };
    const compiled = tsconfig.include.filter((dir) => !build.exclude.includes(dir));
    const copied = [...dockerfile.matchAll(/^COPY\s+(\w+)\s+\.\/\1$/gm)].map((m) => m[1]);
    expect(copied.sort()).toEqual(compiled.sort());
  });
});
