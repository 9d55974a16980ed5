# Build stage: all dependencies, then the compiled sources and the workflow
# bundle (npm run build: dist/), so workers start with neither a TypeScript
# loader nor webpack.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm install --no-save --no-audit --no-fund
COPY . .
RUN npm run build

# Runtime stage: production dependencies (no tsx, no TypeScript) and dist/.
FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
# Memory: see WORKER_PROCESS_ENV in devstack/session-sync-process.ts (the tests and the benchmark use the same).
ENV NODE_OPTIONS=--max-semi-space-size=4 MALLOC_ARENA_MAX=2
COPY package.json package-lock.json ./
RUN npm install --no-save --omit=dev --no-audit --no-fund
COPY --from=build /app/dist ./dist
COPY bin ./bin
USER node
# /metrics, /healthz, /readyz (METRICS_PORT); Temporal core's exporter is folded in from the next port.
EXPOSE 9464
HEALTHCHECK --interval=15s --timeout=5s --retries=3 CMD ["node", "-e", "fetch('http://127.0.0.1:9464/readyz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# The same start command the tests run as a real process (WORKER_COMMAND in devstack/session-sync-process.ts).
CMD ["node", "bin/session-sync.js", "worker"]
