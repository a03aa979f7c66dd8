# One image for every Troupe process; the command picks which one runs:
#   node dist/api/main.js       HTTP API (default, port 3000)
#   node dist/worker/main.js    Temporal worker (Prometheus metrics on 9464)
#   node dist/gateway/main.js   sandbox payment gateway (port 4010)
#   node dist/db/seed.js        one-shot: create and migrate the database, load demo shows
#
# Build: docker build -t troupe .   (docker-compose.yml builds it for you)

# deps: the full dependency tree (TypeScript, webpack via @temporalio/worker) is needed to build.
# Only the manifests are copied, so this layer is reused until package-lock.json changes.
FROM node:20.19-bookworm-slim AS deps
WORKDIR /app
# swagger-ui-express pulls in @scarf/scarf, whose install script phones home; keep builds offline-friendly.
ENV SCARF_ANALYTICS=false
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund

# build: compile TypeScript to dist/ and prebuild the workflow bundle (dist/workflow-bundle.js), so the
# production worker never runs webpack at start-up. Nothing from this stage ships except dist/.
FROM node:20.19-bookworm-slim AS build
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY activities ./activities
COPY api ./api
COPY clients ./clients
COPY config ./config
COPY db ./db
COPY encryption ./encryption
COPY gateway ./gateway
COPY observability ./observability
COPY worker ./worker
COPY workflows ./workflows
RUN npm run build

# runtime: production dependencies only, compiled code only, running as the unprivileged `node` user.
# tini is PID 1 so signals reach node and stray children are reaped (the API and worker drain on SIGTERM;
# the one-shot seed has no handler of its own). node_modules stays root-owned: the app never writes it.
FROM node:20.19-bookworm-slim AS runtime
RUN apt-get update \
  && apt-get install -y --no-install-recommends tini \
  && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production \
  SCARF_ANALYTICS=false \
  LOG_FORMAT=json \
  DATA_DIR=/app/data \
  WORKFLOW_BUNDLE_PATH=/app/dist/workflow-bundle.js
WORKDIR /app
COPY --chown=node:node package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund \
  && npm cache clean --force \
  && mkdir -p /app/data \
  && chown node:node /app/data
COPY --chown=node:node --from=build /app/dist ./dist
USER node
# 3000: API, 9464: worker metrics, 4010: sandbox payment gateway
EXPOSE 3000 9464 4010
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "dist/api/main.js"]
