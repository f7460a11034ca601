# speechace-grade-sync — supported Node.js: 24 (LTS).
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json nest-cli.json ormconfig.ts ./
COPY src ./src
COPY console ./console
RUN npm run build && npm prune --omit=dev

FROM node:24-bookworm-slim
ENV NODE_ENV=production
# V8 otherwise lets garbage pile up to far more than the service needs; 192 MB of old space and
# 8 MB semi-spaces (Node 24 would take 64 MB each at this heap size) kept a ROLE=all process
# under 250 MB resident through a 10,000-callback burst (BENCHMARKS.md).
ENV NODE_OPTIONS="--max-old-space-size=192 --max-semi-space-size=8"
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
USER node
EXPOSE 3000
CMD ["node", "dist/src/main.js"]
