# Switchboard gateway image. Build: docker build -t switchboard .
# Run:   docker run -p 8000:8000 -v switchboard-data:/app/data switchboard   (sqlite store in /app/data)
# Redis: docker run -e SWITCHBOARD_STORE=redis -e REDIS_URL=redis://redis:6379 switchboard
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# The `node` dev dependency brings its own Node 24; the image already has one.
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY bench ./bench
COPY test/support/redis-server.ts ./test/support/
COPY config ./config
RUN npx tsc -p tsconfig.build.json && npm prune --omit=dev

FROM node:24-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY config ./config
COPY fixtures ./fixtures
RUN mkdir -p /app/data && chown node:node /app/data
USER node
ENV SWITCHBOARD_DATA_DIR=/app/data
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||8000)+'/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
STOPSIGNAL SIGTERM
CMD ["node", "dist/src/cli/main.js", "serve"]
