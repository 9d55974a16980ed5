# Build stage: all dependencies, then the workflow bundle, so workers start without webpack.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm install --no-save --no-audit --no-fund
COPY . .
RUN npm run build:workflows -- dist/workflow-bundle.js

# Runtime stage: production dependencies, sources (run through tsx) and the bundle.
FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production WORKFLOW_BUNDLE_PATH=/app/dist/workflow-bundle.js
COPY package.json package-lock.json ./
RUN npm install --no-save --omit=dev --no-audit --no-fund
COPY --from=build /app/dist ./dist
COPY bin ./bin
COPY activities ./activities
COPY cli ./cli
COPY config ./config
COPY db ./db
COPY logging ./logging
COPY migrations ./migrations
COPY sources ./sources
COPY worker ./worker
COPY workflows ./workflows
USER node
# The same start command the kill/resume test runs as a real process.
CMD ["node", "bin/session-sync.js", "worker"]
