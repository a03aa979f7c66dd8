// No Docker engine in CI: these check the structure of docker-compose.yml and the Dockerfile.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { ENV_VARIABLES } from '../../config';

interface Service {
  image?: string;
  entrypoint?: string | string[];
  profiles?: string[];
  volumes?: string[];
  command?: string | string[];
  container_name?: string;
  ports?: unknown[];
  environment?: Record<string, string> | string[];
  healthcheck?: { test?: string | string[] };
  depends_on?: Record<string, { condition?: string }> | string[];
}

const root = path.resolve(__dirname, '../..');
const compose = parse(readFileSync(path.join(root, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, Service>;
};
const services = compose.services;
const service = (name: string): Service => services[name] ?? {};
const environment = (name: string): Record<string, string> => {
  const env = service(name).environment ?? {};
  return Array.isArray(env) ? Object.fromEntries(env.map((e) => e.split(/=(.*)/s).slice(0, 2))) : env;
};
const command = (name: string) =>
  [service(name).entrypoint ?? [], service(name).command ?? []].flat().join(' ');
// `!reset` (Compose 2.24+) clears a list or map from the base file; here it only needs to parse.
const reset = { tag: '!reset', collection: 'map' as const, resolve: (value: unknown) => value };
const cloud = parse(readFileSync(path.join(root, 'docker-compose.cloud.yml'), 'utf8'), {
  customTags: [reset],
}) as { services: Record<string, Service> };

const dockerfile = readFileSync(path.join(root, 'Dockerfile'), 'utf8');
const stages = dockerfile.split(/^FROM /m).slice(1);
const lastStage = stages.at(-1) ?? '';

const APP_SERVICES = ['api', 'worker', 'seed', 'gateway'];

describe('docker-compose.yml', () => {
  it('runs every part of the system', () => {
    expect(Object.keys(services)).toEqual(
      expect.arrayContaining([
        'mysql',
        'postgresql',
        'temporal-schema',
        'temporal',
        'temporal-namespace',
        'temporal-ui',
        'mailpit',
        'redis',
        ...APP_SERVICES,
      ]),
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

  it.each(['mysql', 'postgresql', 'temporal', 'api', 'worker', 'gateway'])(
    'gives %s a healthcheck',
    (name) => {
      expect(service(name).healthcheck?.test).toBeTruthy();
    },
  );

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

  it('runs temporalio/server (not the deprecated auto-setup) on PostgreSQL, pinned to the tested version', () => {
    const images = Object.values(services).map((s) => s.image ?? '');
    expect(images.some((i) => i.startsWith('temporalio/auto-setup'))).toBe(false);
    expect(service('temporal').image).toBe('temporalio/server:1.29.1');
    expect(service('temporal-schema').image).toMatch(/^temporalio\/admin-tools:1\.29\.1-/);
    expect(service('temporal-namespace').image).toBe(service('temporal-schema').image);
    expect(environment('temporal').POSTGRES_SEEDS).toBe('postgresql');
  });

  it.each([
    ['temporal-schema', 'schema'],
    ['temporal-namespace', 'namespace'],
  ])('%s runs deploy/temporal/setup.sh %s, the script npm run test:cluster runs', (name, phase) => {
    expect(command(name)).toBe(`sh /troupe/setup.sh ${phase}`);
    expect(service(name).volumes).toContain('./deploy/temporal:/troupe:ro');
  });

  it('starts each step only once the one before is healthy or done', () => {
    expect(service('temporal-schema').depends_on).toMatchObject({
      postgresql: { condition: 'service_healthy' },
    });
    expect(service('temporal').depends_on).toMatchObject({
      'temporal-schema': { condition: 'service_completed_successfully' },
    });
    expect(service('temporal-namespace').depends_on).toMatchObject({
      temporal: { condition: 'service_healthy' },
    });
    for (const app of ['api', 'worker']) {
      expect(service(app).depends_on).toMatchObject({
        'temporal-namespace': { condition: 'service_completed_successfully' },
      });
    }
  });

  it('serves the same config template npm run cluster renders', () => {
    expect(service('temporal').volumes).toContain(
      './deploy/temporal/config_template.yaml:/etc/temporal/troupe/troupe.yaml:ro',
    );
    expect(command('temporal')).toContain('--env troupe');
  });

  it('starts the compiled API and worker entry points', () => {
    expect(command('api')).toContain('dist/api/main.js');
    expect(command('worker')).toContain('dist/worker/main.js');
  });
});

describe('docker-compose.cloud.yml (Temporal Cloud, no local server)', () => {
  it.each(['postgresql', 'temporal-schema', 'temporal', 'temporal-namespace', 'temporal-ui'])(
    'keeps %s out of the default profile',
    (name) => {
      expect(cloud.services[name]?.profiles?.length).toBeGreaterThan(0);
    },
  );

  it.each(['api', 'worker'])('points %s at Cloud and no longer waits for a local Temporal', (name) => {
    const app = cloud.services[name] ?? {};
    expect(Object.keys(app.environment ?? {})).toEqual(
      expect.arrayContaining(['TEMPORAL_ADDRESS', 'TEMPORAL_NAMESPACE', 'TEMPORAL_API_KEY']),
    );
    expect(Object.keys(app.depends_on ?? {}).filter((d) => d.startsWith('temporal'))).toEqual([]);
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
