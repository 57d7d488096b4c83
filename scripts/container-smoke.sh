#!/usr/bin/env bash
# Builds the image from the Dockerfile, trains and exports a small model with it, serves that model from a
# container started the way deploy/kubernetes/deployment.yaml starts it (read-only root file system, models mounted
# read-only at /models, the API key in MLCTL_API_KEY), and checks what a user would: the image's HEALTHCHECK,
# liveness and readiness, one HTTP and one gRPC inference, the key refused when missing, and that stopping the
# container (SIGTERM) drains and exits 0. Removes the containers, images and files it made. Run by hand: it takes a
# few minutes, so CI does not run it.
#
#   scripts/container-smoke.sh                      # docker; the base image comes from Docker Hub
#   CONTAINER="podman --runtime runc --cgroup-manager cgroupfs" BUILD_NETWORK=host \
#     BASE_IMAGE=localhost/node:20-bookworm-slim scripts/container-smoke.sh
#
# Environment:
#   CONTAINER            the container command with its global flags (default: docker)
#   BASE_IMAGE           the Dockerfile's base image (default: node:20-bookworm-slim)
#   BUILD_NETWORK        `build --network` value, e.g. host where builds reach the npm registry only that way
#   NPM_CONFIG_REGISTRY  an npm registry mirror for the build
# Needs node (the gRPC client uses this repository's node_modules) and curl on the host.
set -euo pipefail
cd "$(dirname "$0")/.."

read -r -a CONTAINER <<<"${CONTAINER:-docker}"
BASE_IMAGE=${BASE_IMAGE:-node:20-bookworm-slim}
IMAGE=localhost/mlctl-smoke:$$
SERVER=mlctl-smoke-$$
API_KEY=smoke-key-$RANDOM$RANDOM
WORK=$(mktemp -d)
new_dangling_images=()

step() { printf '\n== %s\n' "$*"; }
fail() {
  echo "FAILED: $*" >&2
  if "${CONTAINER[@]}" inspect "$SERVER" >/dev/null 2>&1; then
    echo "--- server log" >&2
    "${CONTAINER[@]}" logs "$SERVER" >&2 || true
  fi
  exit 1
}
# Podman logs health-check timer errors where systemd is absent; they say nothing about the image.
quiet() { "$@" 2> >(grep -v 'systemd' >&2); }

cleanup() {
  "${CONTAINER[@]}" rm -f "$SERVER" >/dev/null 2>&1 || true
  "${CONTAINER[@]}" rmi -f "$IMAGE" >/dev/null 2>&1 || true
  # The build stage is left as an untagged image by some builders (podman): remove those this build made.
  for image in "${new_dangling_images[@]}"; do "${CONTAINER[@]}" rmi -f "$image" >/dev/null 2>&1 || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

dangling() { "${CONTAINER[@]}" images -q --no-trunc --filter dangling=true | sort -u; }

step "build $IMAGE from $BASE_IMAGE with ${CONTAINER[*]}"
build_flags=(--build-arg "BASE_IMAGE=$BASE_IMAGE" -t "$IMAGE")
[ -n "${BUILD_NETWORK:-}" ] && build_flags+=(--network "$BUILD_NETWORK")
[ -n "${NPM_CONFIG_REGISTRY:-}" ] && build_flags+=(--build-arg "NPM_CONFIG_REGISTRY=$NPM_CONFIG_REGISTRY")
# Podman writes OCI images by default, which have no HEALTHCHECK; the Docker format keeps it.
"${CONTAINER[@]}" --version | grep -qi podman && build_flags+=(--format docker)
before=$(dangling)
started=$SECONDS
"${CONTAINER[@]}" build "${build_flags[@]}" . >"$WORK/build.log" 2>&1 || {
  tail -40 "$WORK/build.log"
  fail "build"
}
mapfile -t new_dangling_images < <(comm -13 <(echo "$before") <(dangling))
echo "built in $((SECONDS - started)) s"
size=$("${CONTAINER[@]}" image inspect --format '{{.Size}}' "$IMAGE")
base_size=$("${CONTAINER[@]}" image inspect --format '{{.Size}}' "$BASE_IMAGE")
echo "image size: $((size / 1000000)) MB, of which the base image is $((base_size / 1000000)) MB" \
  "and mlctl's layers $(((size - base_size) / 1000000)) MB"

step "train one epoch and export model.onnx with the image"
# The image's user (uid 10001) writes into these host folders.
mkdir -m 0777 "$WORK/runs" "$WORK/models"
quiet "${CONTAINER[@]}" run --rm -v "$WORK/runs:/runs" "$IMAGE" train --epochs 1 --out /runs/digits |
  grep -E '^(epoch|Test)' || fail "train in the container"
quiet "${CONTAINER[@]}" run --rm -v "$WORK/runs:/runs" -v "$WORK/models:/models" "$IMAGE" \
  export-onnx /runs/digits -o /models/model.onnx | grep -E '^ +verified' || fail "export-onnx in the container"

step "serve /models (the image's default command) with the API key from the environment"
# --read-only with writable /tmp and ~/.cache: what the Deployment's securityContext and emptyDir volumes give.
quiet "${CONTAINER[@]}" run -d --name "$SERVER" --read-only --tmpfs /tmp --tmpfs /home/mlctl/.cache \
  -e MLCTL_API_KEY="$API_KEY" -v "$WORK/models:/models:ro" \
  -p 127.0.0.1::8000 -p 127.0.0.1::8001 "$IMAGE" >/dev/null
HTTP=$("${CONTAINER[@]}" port "$SERVER" 8000/tcp | head -1)
GRPC=$("${CONTAINER[@]}" port "$SERVER" 8001/tcp | head -1)
echo "HTTP on $HTTP, gRPC on $GRPC"
for _ in $(seq 120); do
  curl -fsS "http://$HTTP/v2/health/live" >/dev/null 2>&1 && break
  [ "$("${CONTAINER[@]}" inspect --format '{{.State.Running}}' "$SERVER")" = true ] || fail "the server exited"
  sleep 0.5
done
"${CONTAINER[@]}" logs "$SERVER" 2>&1 | grep -E '^(mlctl|  model|Ready)'

step "health"
echo "liveness without the key: $(curl -fsS "http://$HTTP/v2/health/live")"
code=$(curl -s -o /dev/null -w '%{http_code}' "http://$HTTP/v2/health/ready")
[ "$code" = 401 ] || fail "readiness without the key answered $code, not 401"
echo "readiness without the key: $code"
echo "readiness with the key: $(curl -fsS -H "Authorization: Bearer $API_KEY" "http://$HTTP/v2/health/ready")"
if "${CONTAINER[@]}" --version | grep -qi podman; then
  # Podman runs health checks from systemd timers, absent here: run the image's check once.
  quiet "${CONTAINER[@]}" healthcheck run "$SERVER" || fail "the image's HEALTHCHECK"
  echo "HEALTHCHECK: healthy"
else
  for _ in $(seq 60); do
    status=$("${CONTAINER[@]}" inspect --format '{{.State.Health.Status}}' "$SERVER")
    [ "$status" = healthy ] && break
    sleep 1
  done
  [ "$status" = healthy ] || fail "the image's HEALTHCHECK: $status"
  echo "HEALTHCHECK: $status"
fi

step "one HTTP inference"
node -e 'process.stdout.write(JSON.stringify({inputs: [{name: "input", shape: [1, 1, 28, 28], datatype: "FP32",
  data: new Array(784).fill(0)}]}))' >"$WORK/request.json"
curl -fsS -H "Authorization: Bearer $API_KEY" -H 'content-type: application/json' --data-binary "@$WORK/request.json" \
  "http://$HTTP/v2/models/model/infer" >"$WORK/response.json" || fail "HTTP inference"
node -e 'const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"))
  const out = r.outputs[0]
  if (out.name !== "logits" || out.shape.join() !== "1,10" || out.data.length !== 10) process.exit(1)
  console.log(`POST /v2/models/model/infer: ${out.name} [${out.shape}] = ${out.data.map((v) => v.toFixed(3))}`)' \
  "$WORK/response.json" || fail "HTTP inference answered $(cat "$WORK/response.json")"

step "one gRPC inference"
GRPC_ADDRESS=$GRPC API_KEY=$API_KEY node --input-type=module <<'EOF' || fail "gRPC inference"
import {credentials, loadPackageDefinition, Metadata} from '@grpc/grpc-js'
import {loadSync} from '@grpc/proto-loader'

const definition = loadSync('grpc_predict_v2.proto', {includeDirs: ['src/core/serve/proto'], keepCase: true})
const {GRPCInferenceService} = loadPackageDefinition(definition).inference
const client = new GRPCInferenceService(process.env.GRPC_ADDRESS, credentials.createInsecure())
const call = (method, request, key) =>
  new Promise((resolve, reject) => {
    const metadata = new Metadata()
    if (key) metadata.set('authorization', `Bearer ${key}`)
    client[method](request, metadata, (err, response) => (err ? reject(err) : resolve(response)))
  })
const request = {
  model_name: 'model',
  inputs: [{name: 'input', datatype: 'FP32', shape: [1, 1, 28, 28], contents: {fp32_contents: new Array(784).fill(0)}}],
}
const refused = await call('ModelInfer', request).then(() => 'answered', (err) => err.details)
if (refused === 'answered') throw new Error('ModelInfer without the key was answered')
console.log(`ModelInfer without the key: ${refused}`)
const ready = await call('ModelReady', {name: 'model'}, process.env.API_KEY)
console.log(`ModelReady: ${ready.ready}`)
const response = await call('ModelInfer', request, process.env.API_KEY)
const output = response.outputs[0]
const values = output.contents.fp32_contents
if (!ready.ready || output.name !== 'logits' || output.shape.join() !== '1,10' || values.length !== 10)
  throw new Error(`unexpected answer: ${JSON.stringify(output)}`)
console.log(`ModelInfer: ${output.name} [${output.shape}] = ${Array.from(values, (v) => v.toFixed(3))}`)
client.close()
EOF
rss_kb=$("${CONTAINER[@]}" exec "$SERVER" sh -c "grep VmRSS /proc/1/status" | awk '{print $2}')
echo "server memory (resident): $((rss_kb / 1024)) MB"

step "stop (SIGTERM): drain and exit 0"
quiet "${CONTAINER[@]}" stop -t 30 "$SERVER" >/dev/null
exit_code=$("${CONTAINER[@]}" inspect --format '{{.State.ExitCode}}' "$SERVER")
"${CONTAINER[@]}" logs "$SERVER" 2>&1 | grep -E '^(SIGTERM|Stopped)'
[ "$exit_code" = 0 ] || fail "the container exited $exit_code after stop"
echo "exit code: $exit_code"

printf '\ncontainer smoke test passed\n'
