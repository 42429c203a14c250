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
  "$dir/bin/pip" install -q --upgrade pip wheel
  local args=(); for r in "$@"; do args+=(-r "$r"); done
  "$dir/bin/pip" install -q "${args[@]}"
  echo "$digest" > "$stamp"
}

server_env() {
  make_venv .venv 3.11 requirements/server.txt requirements/server-dev.txt
  .venv/bin/pip install -q --no-deps --no-build-isolation -e . >/dev/null
  mkdir -p "$YOLO_CONFIG_DIR/Ultralytics"
}

ha_env() {
  make_venv .venv-ha 3.13 requirements/ha.txt
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
