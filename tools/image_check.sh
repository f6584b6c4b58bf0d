#!/usr/bin/env bash
# Build the class image (the Dockerfile) with podman and check it: its size, the lessons' smoke test inside it (nbval,
# as make test-notebooks runs it, on the lessons copied into the student's home) and a JupyterLab start with the
# image's own command. Not part of make test: the build takes minutes and about 7 GB. docs/class-server.md ("Beyond
# one server") has what it gave. Needs podman (Debian: apt-get install podman) and the datasets on the host:
#
#   tools/image_check.sh                          # FROM as the Dockerfile says (a registry must be reachable)
#   DEBOOTSTRAP=1 tools/image_check.sh            # no registry: the base made from Debian's archive (debootstrap)
#
# Settings (environment variables): GAN_DATA_DIR, the datasets, mounted read-only at /srv/data as the Kubernetes
# values mount them (default ../shared/data); IMAGE, the tag (localhost/gan-notebooks:check); BASE, another base
# image than the Dockerfile's FROM; PODMAN_OPTIONS, BUILD_OPTIONS and RUN_OPTIONS, more options for podman, its
# build and its runs. On this project's machines (no registry, no CAP_SYS_RESOURCE, cgroups v1 and v2 at once):
#   DEBOOTSTRAP=1 PODMAN_OPTIONS="--runtime runc" RUN_OPTIONS="--ulimit nofile=1024:1024 --ulimit nproc=4096:4096" \
#   BUILD_OPTIONS="-v /opt/wheels:/opt/wheels:ro -v /opt/pypi:/opt/pypi:ro -v /opt/pypi-more:/opt/pypi-more:ro \
#     -v /etc/pip.conf:/etc/pip.conf:ro -v /etc/xdg/pip:/etc/xdg/pip:ro \
#     -v /etc/ssl/certs/ca-certificates.crt:/etc/ssl/certs/ca-certificates.crt:ro" tools/image_check.sh
set -euo pipefail
cd "$(dirname "$0")/.."
IMAGE=${IMAGE:-localhost/gan-notebooks:check}
DATA=$(realpath "${GAN_DATA_DIR:-../shared/data}")
read -ra PODMAN <<< "podman ${PODMAN_OPTIONS:-}"
read -ra RUN <<< "--network host ${RUN_OPTIONS:-}"
read -ra BUILD <<< "${BUILD_OPTIONS:-}"
step() { echo; echo "== $* ($(date -u +%H:%M:%S))"; }

if [ "${DEBOOTSTRAP:-0}" = 1 ]; then
  # python:3.11-slim-bookworm is Debian 12 with a CPython 3.11 built into /usr/local. Debian's own python3 (3.11.2)
  # cannot install the lock (soupsieve 4.1.3 needs 3.11.5 or newer), so the host's CPython 3.11 goes into /usr/local
  # (PYTHON_HOME, default the prefix of the host's python3; Debian's python3 brings the libraries it links to).
  BASE=${BASE:-localhost/debian-python:3.11-bookworm}
  PYTHON_HOME=${PYTHON_HOME:-$(python3 -c 'import sys; print(sys.base_prefix)')}
  step "the base image $BASE from Debian's archive (debootstrap) and the CPython of $PYTHON_HOME"
  root=$(mktemp -d)
  debootstrap --variant=minbase --include=python3,ca-certificates bookworm "$root" http://deb.debian.org/debian \
    > "$root.log"
  mkdir -p "$root/usr/local/bin" "$root/usr/local/lib"
  cp -a "$PYTHON_HOME"/lib/libpython3* "$root/usr/local/lib/"
  tar -C "$PYTHON_HOME/lib" --exclude='python3.11/site-packages/*' --exclude=__pycache__ --exclude=python3.11/test \
    -c python3.11 | tar -C "$root/usr/local/lib" -x
  cp -a "$PYTHON_HOME/bin/python3.11" "$root/usr/local/bin/"
  ln -s python3.11 "$root/usr/local/bin/python3" && ln -s python3.11 "$root/usr/local/bin/python"
  chroot "$root" ldconfig
  tar -C "$root" --numeric-owner -c . | "${PODMAN[@]}" import --change 'CMD ["python3"]' \
    --change 'ENV PATH=/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin' - "$BASE"
  rm -rf "$root" "$root.log"
fi

step "build $IMAGE${BASE:+ from $BASE}"
started=$(date +%s)
"${PODMAN[@]}" build "${RUN[@]}" "${BUILD[@]}" ${BASE:+--from "$BASE"} --build-arg DATASETS= -t "$IMAGE" .
echo "built in $(( $(date +%s) - started )) s"
"${PODMAN[@]}" image ls "$IMAGE"
echo "size: $(( $("${PODMAN[@]}" image inspect --format '{{.Size}}' "$IMAGE") / 1000000 )) MB"

step "the lessons' smoke test inside the image, as the user jovyan, on the lessons in the home"
"${PODMAN[@]}" run --rm "${RUN[@]}" -v "$DATA:/srv/data:ro" -e GAN_DATA_DIR=/srv/data -e GAN_SMOKE=1 \
  -e GAN_DATASET=/srv/data/cifar10-samples "$IMAGE" bash -c 'id && cd /srv/gan-notebooks && python -m pytest \
    -p no:cacheprovider -p tests.notebook_outputs --nbval-lax --nbval-current-env \
    --nbval-sanitize-with tests/nbval_sanitize.cfg ~/notebooks/0*.ipynb'

step "JupyterLab started by the image's own command"
name=gan-notebooks-check-$$
"${PODMAN[@]}" run -d --name "$name" "${RUN[@]}" -v "$DATA:/srv/data:ro" -e GAN_DATA_DIR=/srv/data "$IMAGE" > /dev/null
trap '"${PODMAN[@]}" rm -f "$name" > /dev/null' EXIT
for _ in $(seq 60); do
  url=$("${PODMAN[@]}" logs "$name" 2>&1 | grep -o 'http://127.0.0.1:8888/[^ ]*token=[0-9a-f]*' | head -1 || true)
  [ -n "$url" ] && break
  sleep 2
done
[ -n "$url" ] || { "${PODMAN[@]}" logs "$name"; echo "JupyterLab did not start"; exit 1; }
token=${url##*token=}
curl -sf "http://127.0.0.1:8888/api/status?token=$token"; echo
curl -sf "http://127.0.0.1:8888/api/contents/notebooks?token=$token" | python3 -c \
  'import json, sys; print("notebooks in the home:", sorted(f["name"] for f in json.load(sys.stdin)["content"]))'
curl -sf "http://127.0.0.1:8888/lab/tree/notebooks?token=$token" | grep -q "JupyterLab" && echo "the lab page: served"
echo "image check passed"
