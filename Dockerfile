# Model Router container image. Build: docker build -t model-router .
# Run:  docker run -p 8080:8080 model-router                      (embedded demo config)
#       docker run -p 8080:8080 -v $PWD/my.yaml:/etc/model-router/config.yaml:ro \
#         -e OPENAI_API_KEY model-router --config /etc/model-router/config.yaml

# Build stage: compiles better-sqlite3 from source (no prebuilt binaries) and the TypeScript.
FROM node:20-bookworm-slim AS build
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY training ./training
RUN npm run build && npm prune --omit=dev

# Runtime stage: production dependencies, the build, the routing artefacts and the default config.
FROM node:20-bookworm-slim
ENV NODE_ENV=production HOST=0.0.0.0 PORT=8080
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY bin ./bin
COPY models ./models
COPY config ./config
COPY src/dashboard/assets ./src/dashboard/assets
# The default config keeps its SQLite log in ./data: writable by the unprivileged user.
RUN mkdir -p /app/data && chown node:node /app/data
USER node
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["node", "dist/src/main.js"]
CMD []
