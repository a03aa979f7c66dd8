import { execFileSync } from 'node:child_process';
import path from 'node:path';
import type { Express } from 'express';
import { createApp } from '../../api/app';
import { http, silentLogger, startTroupe, type Troupe } from '../support/harness';

interface Document {
  openapi: string;
  paths: Record<string, Record<string, { operationId: string; responses: Record<string, unknown> }>>;
}

/** Every route the Express app really serves, as `METHOD /openapi/{style}` strings. */
function mountedRoutes(app: Express): string[] {
  const stack = (
    app as unknown as { router: { stack: { route?: { path: string; methods: Record<string, boolean> } }[] } }
  ).router.stack;
  const routes: string[] = [];
  const visit = (layers: typeof stack) => {
    for (const layer of layers) {
      if (layer.route) {
        for (const method of Object.keys(layer.route.methods)) {
          routes.push(`${method.toUpperCase()} ${layer.route.path.replace(/:(\w+)/g, '{$1}')}`);
        }
      }
      const nested = (layer as { handle?: { stack?: typeof stack } }).handle?.stack;
      if (nested) visit(nested);
    }
  };
  visit(stack);
  return routes;
}

describe('the OpenAPI document', () => {
  let troupe: Troupe;
  let document: Document;
  beforeAll(async () => {
    troupe = await startTroupe({ worker: false });
    document = (await http(`${troupe.url}/openapi.json`)).body;
  });
  afterAll(async () => troupe?.stop());

  it('validates against the OpenAPI 3.1 schema', () => {
    const output = execFileSync(process.execPath, [path.join(__dirname, '../support/validate-openapi.mjs')], {
      input: JSON.stringify(document),
      encoding: 'utf8',
    });
    const result = JSON.parse(output);
    expect(result.errors).toEqual([]);
    expect(result).toMatchObject({ valid: true, version: '3.1' });
    expect(document.openapi).toBe('3.1.0');
  });

  it('documents exactly the routes the app serves', () => {
    const app = createApp({
      config: troupe.config,
      db: troupe.db,
      temporal: troupe.client,
      logger: silentLogger,
    });
    // Plus Temporal's remote codec protocol under /codec (its own spec; README "Privacy").
    const infrastructure = ['GET /metrics', 'GET /openapi.json', 'POST /encode', 'POST /decode'];
    const served = mountedRoutes(app)
      .filter((r) => !infrastructure.includes(r))
      .sort();
    const documented = Object.entries(document.paths)
      .flatMap(([p, methods]) => Object.keys(methods).map((m) => `${m.toUpperCase()} ${p}`))
      .sort();
    expect(served).toEqual(documented);
    expect(documented.length).toBeGreaterThanOrEqual(15);
  });

  it('documents problem+json errors and the API-key schemes', () => {
    const create = document.paths['/api/v1/bookings']?.post;
    expect(Object.keys(create?.responses ?? {})).toEqual(
      expect.arrayContaining(['201', '400', '401', '404', '409', '413', '415', '429']),
    );
    expect(JSON.stringify(create?.responses['409'])).toContain('application/problem+json');
    expect(JSON.stringify(document)).toContain('"X-API-Key"');
  });

  it('is served with an interactive reference at /docs', async () => {
    const page = await fetch(`${troupe.url}/docs/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('swagger-ui');
  });
});
