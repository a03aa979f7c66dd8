// Which folder may import which (docs/architecture.md), checked by `npm run check`: an import cycle or
// an import against the layering fails it. Type-only imports count for cycles too, except where a rule
// says otherwise (workflows import their activities' types, as Temporal's samples do).
const SERVICE = '^(activities|api|clients|config|db|encryption|gateway|observability|worker|workflows)/';
const ours = (...folders) => `^(${folders.join('|')})/`;

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-cycles',
      severity: 'error',
      comment:
        'Files that import each other, directly or through others, cannot be understood (or moved) alone.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'service-not-on-tooling',
      severity: 'error',
      comment: 'The service never imports what operates or tests it.',
      from: { path: SERVICE },
      to: { path: '^(tools|test)/' },
    },
    {
      name: 'workflows-stay-in-the-sandbox',
      severity: 'error',
      comment:
        'Workflow code is bundled into the deterministic sandbox: it imports other workflow code, the SDK, and its activities as types only.',
      from: { path: '^workflows/' },
      to: { path: SERVICE, pathNot: ['^workflows/', '^activities/'] },
    },
    {
      name: 'workflows-import-activity-types-only',
      severity: 'error',
      from: { path: '^workflows/' },
      to: { path: '^activities/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'workflows-no-node-modules',
      severity: 'error',
      comment: 'No Node built-ins in the sandbox.',
      from: { path: '^workflows/' },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'leaves-import-nothing-of-ours',
      severity: 'error',
      comment: 'encryption/ and observability/ sit under everything else.',
      from: { path: ours('encryption', 'observability') },
      to: { path: SERVICE, pathNot: ['^encryption/', '^observability/'] },
    },
    {
      name: 'config-on-leaves-only',
      severity: 'error',
      from: { path: '^config/' },
      to: { path: SERVICE, pathNot: ['^config/', '^encryption/', '^observability/'] },
    },
    {
      name: 'db-knows-no-workflows',
      severity: 'error',
      comment: 'The data layer decides races and stores rows; callers pass workflow ids in.',
      from: { path: '^db/' },
      to: { path: ours('activities', 'api', 'clients', 'gateway', 'worker', 'workflows') },
    },
    {
      name: 'clients-below-actors',
      severity: 'error',
      from: { path: '^clients/' },
      to: { path: ours('activities', 'api', 'db', 'gateway', 'worker') },
    },
    {
      name: 'activities-not-on-entry-points',
      severity: 'error',
      comment:
        "One exception: a webhook event's data is the entity as the API's GET shows it, so the snapshot reads the API's read models (api/*/store.ts).",
      from: { path: '^activities/', pathNot: '^activities/webhooks/snapshot\\.ts$' },
      to: { path: ours('api', 'gateway', 'worker') },
    },
    {
      name: 'webhook-snapshot-reads-read-models-only',
      severity: 'error',
      from: { path: '^activities/webhooks/snapshot\\.ts$' },
      to: { path: ours('api', 'gateway', 'worker'), pathNot: '^api/[^/]+/store\\.ts$' },
    },
    {
      name: 'api-not-on-worker-side',
      severity: 'error',
      comment: 'The API talks to activities only through Temporal.',
      from: { path: '^api/' },
      to: { path: ours('activities', 'gateway', 'worker') },
    },
    {
      name: 'worker-not-on-api',
      severity: 'error',
      from: { path: '^worker/' },
      to: { path: ours('api', 'gateway') },
    },
    {
      name: 'sandbox-gateway-stands-alone',
      severity: 'error',
      comment: 'The sandbox payment gateway is an outside system that happens to live here.',
      from: { path: '^gateway/' },
      to: { path: ours('activities', 'api', 'clients', 'worker', 'workflows') },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|dist|data|\\.cache)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
