#!/usr/bin/env bash
# Builds a local stand-in for Home Assistant's add-on base image (ghcr.io/home-assistant/
# {arch}-base-debian:bookworm), which no registry here can serve: a debootstrap'd Debian bookworm
# with the same layout the add-on relies on - bash, curl, jq, tzdata, CA certificates, `/init` as
# the entrypoint running /etc/cont-init.d/* and /etc/services.d/*/{run,finish} the way
# s6-overlay does, and `with-contenv`. Imported with `podman import`; no registry involved.
#
#   tools/addon/base_image.sh            # prints the image name; builds it once per recipe
#   HSI_BASE_IMAGE=name tools/addon/base_image.sh
#
# The image carries the hash of this script as a label: an unchanged recipe is never rebuilt.
set -euo pipefail
arch=$(dpkg --print-architecture)                 # amd64 | arm64
case "$arch" in amd64) ha_arch=amd64 ;; arm64) ha_arch=aarch64 ;; *) echo "unsupported $arch" >&2; exit 2 ;; esac
image=${HSI_BASE_IMAGE:-localhost/hsi/${ha_arch}-base-debian:bookworm}
recipe=$(sha256sum "$0" | cut -c1-16)
podman=(podman --runtime runc)

have=$("${podman[@]}" image inspect --format '{{index .Labels "io.hsi.recipe"}}' "$image" 2>/dev/null || true)
if [ "$have" = "$recipe" ]; then echo "$image"; exit 0; fi

mirror=${DEBIAN_MIRROR:-$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)}
mirror=${mirror:-http://deb.debian.org/debian}
root=$(mktemp -d /var/tmp/hsi-base.XXXXXX)
trap 'rm -rf "$root"' EXIT
echo "base image: debootstrap bookworm from $mirror" >&2
debootstrap --variant=minbase --include=ca-certificates,curl,jq,tzdata,procps \
  bookworm "$root" "$mirror" >&2

# The s6-overlay layout the add-on's rootfs is written for, reduced to what it uses: /init runs
# the cont-init.d scripts, then every services.d service; the first service to end ends the
# container (S6_BEHAVIOUR_IF_STAGE2_FAILS=2 in the real base), after each service's finish ran
# with the exit code. SIGTERM (docker stop) is passed on to the services.
cat > "$root/init" <<'INIT'
#!/bin/bash
set -u
for f in /etc/cont-init.d/*; do
  [ -x "$f" ] || continue
  "$f" || { echo "[init] $f failed ($?)" >&2; exit 1; }
done
if [ $# -gt 0 ]; then exec "$@"; fi
pids=(); dirs=()
for d in /etc/services.d/*; do
  [ -x "$d/run" ] || continue
  "$d/run" & pids+=($!); dirs+=("$d")
done
[ ${#pids[@]} -gt 0 ] || { echo "[init] no services" >&2; exit 1; }
stop() { for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done; }
trap stop TERM INT
wait -n "${pids[@]}"; rc=$?
stop
for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
for d in "${dirs[@]}"; do [ -x "$d/finish" ] && "$d/finish" "$rc" 0; done
echo "[init] service ended with $rc" >&2
exit "$rc"
INIT
printf '#!/bin/sh\nexec "$@"\n' > "$root/usr/bin/with-contenv"
chmod 755 "$root/init" "$root/usr/bin/with-contenv"
mkdir -p "$root/etc/cont-init.d" "$root/etc/services.d" "$root/data"
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb "$root"/usr/share/doc/* "$root"/usr/share/man/*

tar -C "$root" -c . | "${podman[@]}" import \
  --change 'ENTRYPOINT ["/init"]' --change 'WORKDIR /' --change 'ENV LANG=C.UTF-8' \
  --change "LABEL io.hsi.recipe=$recipe" --change "LABEL io.hass.base.name=debian" \
  --change "LABEL io.hass.arch=$ha_arch" \
  - "$image" >&2
echo "$image"
