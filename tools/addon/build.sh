#!/usr/bin/env bash
# Builds the add-on image (addon/Dockerfile) or the GPU container (addon/Dockerfile.cuda) with
# podman + runc, the build context being addon/ exactly as the Supervisor uses it, FROM the
# local base image of tools/addon/base_image.sh. Prints the image name.
#
#   tools/addon/build.sh addon|cuda [TAG]
#
# This machine's package registry is a local mirror behind its own CA: the host's CA bundle, pip
# configuration and local wheel folders are mounted into the build's RUN steps only (podman build
# -v), never copied into the image, and the Dockerfiles name none of them. A pip cache and an apt
# archive under /var/cache/hsi-addon make a rebuild after a requirements change quick; unchanged
# layers are reused by podman itself.
set -euo pipefail
cd "$(dirname "$0")/../.."
kind=${1:?usage: build.sh addon|cuda [TAG]}
podman=(podman --runtime runc)
base=$(tools/addon/base_image.sh)
case "$kind" in
  addon) dockerfile=addon/Dockerfile; tag=${2:-localhost/hsi/addon:dev}; arg=BUILD_FROM ;;
  cuda) dockerfile=addon/Dockerfile.cuda; tag=${2:-localhost/hsi/gpu:dev}; arg=BASE ;;
  *) echo "build.sh: unknown image $kind (addon or cuda)" >&2; exit 2 ;;
esac
cache=${HSI_ADDON_CACHE:-/var/cache/hsi-addon}
mkdir -p "$cache/pip" "$cache/apt"
mounts=(-v "$cache/pip:/var/cache/hsi-pip" -v "$cache/apt:/var/cache/hsi-apt")
for path in /etc/ssl/certs/ca-certificates.crt /etc/pip.conf /etc/xdg/pip /root/.config/pip \
            /opt/wheels /opt/pypi /opt/pypi-more; do
  [ -e "$path" ] && mounts+=(-v "$path:$path:ro")
done
SECONDS=0
"${podman[@]}" build --isolation chroot --network host "${mounts[@]}" \
  --build-arg "$arg=$base" \
  --build-arg PIP_CACHE_DIR=/var/cache/hsi-pip --build-arg APT_ARCHIVES=/var/cache/hsi-apt \
  -t "$tag" -f "$dockerfile" addon >&2
size=$("${podman[@]}" image inspect --format '{{.Size}}' "$tag")
echo "build.sh: $tag built in ${SECONDS} s, $((size / 1000000)) MB" >&2
echo "$tag"
