#!/usr/bin/env bash
# The local AWS stack: `start` runs a moto server on a free 127.0.0.1 port and creates the
# service's resources on it (table with GSIs, TTL and stream; three buckets; uploads queue,
# dead-letter queue and the uploads → queue notification); `stop` ends it by PID; `env` prints
# the variables to source. State lives in .local/ of the clone.
set -euo pipefail
source "$(dirname "$0")/env.sh"

pid_file="$GP_LOCAL/moto.pid"
env_file="$GP_LOCAL/stack.env"

port_file="$GP_LOCAL/moto.port"

running() { [[ -f "$pid_file" && -f "$env_file" ]] && kill -0 "$(cat "$pid_file")" 2>/dev/null; }

start() {
  "$GP_ROOT/scripts/setup.sh"
  mkdir -p "$GP_LOCAL"
  if running; then
    say "local stack already running (pid $(cat "$pid_file"))"
    return
  fi
  stop >/dev/null 2>&1 || true # a half-started stack from before
  # Whatever fails from here on must not leave a server behind.
  trap 'stop >/dev/null 2>&1 || true' ERR
  rm -f "$port_file"
  "$GP_VENV/bin/python" "$GP_ROOT/scripts/moto_server.py" > "$port_file" 2> "$GP_LOCAL/moto.log" &
  echo $! > "$pid_file"
  local port=""
  for _ in $(seq 100); do
    port="$(head -n1 "$port_file" 2>/dev/null || true)"
    [[ "$port" =~ ^[0-9]+$ ]] && break
    kill -0 "$(cat "$pid_file")" 2>/dev/null || { cat "$GP_LOCAL/moto.log" >&2; false; }
    sleep 0.1
  done
  [[ "$port" =~ ^[0-9]+$ ]] || { echo "moto printed no port" >&2; false; }
  local endpoint="http://127.0.0.1:$port"
  # The personal-data key of the local stack: random, made once, readable by us only.
  if [[ ! -f "$GP_LOCAL/pii.key" ]]; then
    (umask 077 && "$GP_VENV/bin/python" -c \
      'import base64, secrets; print(base64.b64encode(secrets.token_bytes(32)).decode())' > "$GP_LOCAL/pii.key")
  fi
  chmod 600 "$GP_LOCAL/pii.key"
  (umask 077 && cd "$GP_ROOT" && cargo run --quiet -p localstack -- provision --endpoint "$endpoint" --prefix gp-local > "$env_file.tmp")
  echo "export PII_KEY=$(cat "$GP_LOCAL/pii.key")" >> "$env_file.tmp"
  mv "$env_file.tmp" "$env_file"
  trap - ERR
  say "local stack on $endpoint (pid $(cat "$pid_file")); variables in $env_file"
}

stop() {
  if [[ -f "$pid_file" ]] && kill "$(cat "$pid_file")" 2>/dev/null; then
    say "local stack stopped"
  fi
  rm -f "$pid_file" "$env_file" "$env_file.tmp" "$port_file"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  env) cat "$env_file" ;;
  status) if running; then echo "running (pid $(cat "$pid_file"))"; else echo "stopped"; exit 1; fi ;;
  *) echo "usage: $0 start|stop|status|env" >&2; exit 2 ;;
esac
