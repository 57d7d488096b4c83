# mlctl as a container image: `mlctl serve` on the models mounted (or copied) at /models.
#
#   docker build -t mlctl .
#   docker run --rm -p 8000:8000 -p 8001:8001 -v "$PWD/models:/models:ro" mlctl
#
# Build arguments: BASE_IMAGE (default node:20-bookworm-slim) and NPM_CONFIG_REGISTRY (an npm registry
# mirror, when the public registry is not reachable from the build).
ARG BASE_IMAGE=node:20-bookworm-slim

# Compiles the TypeScript sources; only dist/ leaves this stage.
FROM ${BASE_IMAGE} AS build
ARG NPM_CONFIG_REGISTRY=
WORKDIR /build
COPY package.json package-lock.json .npmrc ./
# --ignore-scripts: the package's own `prepare` (tsc) needs the sources copied below, and compiling needs no
# dependency's install script.
RUN npm ci --ignore-scripts --omit=optional --no-audit --no-fund --no-update-notifier
COPY tsconfig.json ./
COPY src ./src
RUN npm run build

FROM ${BASE_IMAGE}
ARG NPM_CONFIG_REGISTRY=
ENV NODE_ENV=production
WORKDIR /opt/mlctl
COPY package.json package-lock.json .npmrc ./
# Production dependencies only. No install scripts: onnxruntime-node ships its CPU binaries in the package (its
# script would only fetch CUDA files, which .npmrc skips anyway), and the optional @tensorflow/tfjs-node would
# download libtensorflow; without it `train --engine tfjs` runs pure JavaScript. Removed to keep the image small:
# source maps (about 190 MB, used only by debuggers) and onnxruntime-node's binaries for every platform but this
# image's (about 250 MB).
RUN npm ci --omit=dev --omit=optional --ignore-scripts --no-audit --no-fund --no-update-notifier \
  && npm cache clean --force \
  && find node_modules -name '*.map' -type f -delete \
  && keep="$(node -p 'process.platform + "/" + process.arch')" \
  && cd node_modules/onnxruntime-node/bin/napi-v6 \
  && for dir in */*; do [ "$dir" = "$keep" ] || rm -rf "$dir"; done \
  && test -f "$keep/onnxruntime_binding.node"
COPY --from=build /build/dist ./dist
COPY bin/run.js ./bin/
COPY src/core/serve/proto ./src/core/serve/proto
# A numeric user, so that Kubernetes can check `runAsNonRoot` against the image; its home is the working
# directory, where `mlctl train` writes runs/ and downloads are cached.
RUN ln -s /opt/mlctl/bin/run.js /usr/local/bin/mlctl \
  && groupadd --gid 10001 mlctl \
  && useradd --uid 10001 --gid mlctl --create-home --home-dir /home/mlctl mlctl \
  && mkdir /models
USER 10001:10001
WORKDIR /home/mlctl

EXPOSE 8000 8001
# Liveness on the default HTTP port (open even with an API key). Keep the container's ports and remap them on the
# host (-p 9000:8000) rather than changing --port, or this check fails.
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "require('http').get('http://127.0.0.1:8000/v2/health/live', (res) => process.exit(res.statusCode === 200 ? 0 : 1)).on('error', () => process.exit(1))"]
ENTRYPOINT ["mlctl"]
CMD ["serve", "/models", "--name", "model", "--host", "0.0.0.0"]
