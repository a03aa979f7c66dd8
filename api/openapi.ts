import { OpenAPIRegistry, OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi';
import { type RouteSpec, registerOpenApi } from './http/route';

/** The OpenAPI 3.1 document, generated from the same route specs that validate requests. */
export function openApiDocument(routes: RouteSpec[]) {
  const registry = new OpenAPIRegistry();
  registry.registerComponent('securitySchemes', 'bearer', {
    type: 'http',
    scheme: 'bearer',
    description: 'One of the keys in API_KEYS (only enforced when API_KEYS is set)',
  });
  registry.registerComponent('securitySchemes', 'apiKey', {
    type: 'apiKey',
    in: 'header',
    name: 'X-API-Key',
  });
  for (const spec of routes) registerOpenApi(registry, spec);
  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'Troupe API',
      version: '1.0.0',
      description:
        'Durable business processes on Temporal. Each POST starts or messages a workflow; every run is visible in the Temporal Web UI. ' +
        'Errors are RFC 9457 `application/problem+json`.',
    },
    security: [{ bearer: [] }, { apiKey: [] }],
  });
}
