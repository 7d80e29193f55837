#!/usr/bin/env bash
# `make demo` / `make stop`: the platform simulator + Airflow standalone (SQLite, LocalExecutor).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
STATE=${CITIZEN_DESK_DEMO_DIR:-$ROOT/.airflow}
PORT=${AIRFLOW_PORT:-8080}
SIM_PORT=${SIM_PORT:-8765}
DEMO_USER=${CITIZEN_DESK_DEMO_USER:-admin}
DEMO_PASSWORD=${CITIZEN_DESK_DEMO_PASSWORD:-citizen-desk-demo}
VENV=$ROOT/.venv

stop() {
  for name in airflow simulator; do
    pidfile=$STATE/$name.pgid
    [[ -f $pidfile ]] || continue
    pgid=$(cat "$pidfile")
    if kill -0 -- "-$pgid" 2>/dev/null; then
      echo "stopping $name (process group $pgid)"
      kill -INT -- "-$pgid" 2>/dev/null || true
      for _ in $(seq 1 15); do kill -0 -- "-$pgid" 2>/dev/null || break; sleep 1; done
      kill -KILL -- "-$pgid" 2>/dev/null || true
    fi
    rm -f "$pidfile"
  done
}

environment() {
  DATA=${CITIZEN_DESK_DATA_DIR:-$ROOT/data}
  mkdir -p "$STATE" "$DATA"
  export PYTHONPATH=$ROOT/include
  export PATH=$VENV/bin:$PATH  # airflow standalone spawns `airflow` subcommands
  export AIRFLOW_HOME=$STATE
  export AIRFLOW__CORE__DAGS_FOLDER=$ROOT/dags
  export AIRFLOW__CORE__PLUGINS_FOLDER=$ROOT/plugins
  export AIRFLOW__CORE__LOAD_EXAMPLES=False
  export AIRFLOW__API__PORT=$PORT
  export AIRFLOW__API__BASE_URL=http://localhost:$PORT
  export AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL=5
  export AIRFLOW__SCHEDULER__MIN_FILE_PROCESS_INTERVAL=5
  export AIRFLOW__WORKERS__EXECUTION_API_TIMEOUT=30  # tasks start reliably on a loaded laptop
  export AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS="$DEMO_USER:admin,officer:user"
  export AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE=$STATE/passwords.json
  printf '{"%s": "%s", "officer": "%s"}' "$DEMO_USER" "$DEMO_PASSWORD" "$DEMO_PASSWORD" \
    > "$STATE/passwords.json"
  # the setup DAG's sync_pools task makes Airflow's pools match the registry through the REST API
  AIRFLOW_CONN_CITIZEN_DESK_AIRFLOW_API=$(printf \
    '{"conn_type": "http", "host": "http://localhost:%s", "login": "%s", "password": "%s"}' \
    "$PORT" "$DEMO_USER" "$DEMO_PASSWORD")
  export AIRFLOW_CONN_CITIZEN_DESK_AIRFLOW_API
  export CITIZEN_DESK_DATA_DIR=$DATA
  export CITIZEN_DESK_DB_URL=${CITIZEN_DESK_DB_URL:-sqlite:///$DATA/citizen_desk.db}
  if [[ ! -s $STATE/fernet.key ]]; then  # never keep an empty key a failed start left behind
    local key
    key=$("$VENV/bin/python" -c \
      "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())")
    [[ -n $key ]] || { echo "demo.sh: could not generate a Fernet key" >&2; exit 1; }
    printf '%s\n' "$key" > "$STATE/fernet.key"
  fi
  AIRFLOW__CORE__FERNET_KEY=$(cat "$STATE/fernet.key")
  export AIRFLOW__CORE__FERNET_KEY
  local exports  # a separate assignment: `set -e` stops here when demo_env.py fails
  # `--opt=value`: a Fernet key (URL-safe base64) starts with "-" one time in 64, and argparse
  # reads `--fernet-key -abc...` as an option with no value
  # the channels' connections go to a file that demo_ready.py loads into the metadata DB
  CITIZEN_DESK_DEMO_CONNECTIONS=$STATE/channel_connections.json
  export CITIZEN_DESK_DEMO_CONNECTIONS
  exports=$("$VENV/bin/python" scripts/demo_env.py --simulator "http://127.0.0.1:$SIM_PORT" \
    --fernet-key="$AIRFLOW__CORE__FERNET_KEY" --channels-file="$CITIZEN_DESK_DEMO_CONNECTIONS")
  eval "$exports"
}

wait_for() {  # url, seconds, label: poll once a second, say so every 5 s
  local started=$SECONDS next=5
  until curl -sf "$1" >/dev/null 2>&1; do
    local elapsed=$((SECONDS - started))
    if ((elapsed >= $2)); then
      echo "$3 did not come up within $2 s; see $STATE/*.log" >&2
      return 1
    fi
    if ((elapsed >= next)); then
      printf '  [%3d s] waiting for %s (%s)\n' "$elapsed" "$3" "$1"
      next=$((elapsed + 5))
    fi
    sleep 1
  done
}

start() {
  stop
  environment
  echo "1/4 starting the platform simulator on :$SIM_PORT (seed 42, 14 days, live traffic)"
  PYTHONPATH=$ROOT/devtools:$ROOT/include setsid "$VENV/bin/python" -m platform_simulator serve \
    --port "$SIM_PORT" --registry include/config/registry.yaml --seed 42 --days 14 --live \
    --webhook-facebook-url "http://127.0.0.1:$PORT/citizen-desk/webhooks/facebook" \
    --webhook-zalo-url "http://127.0.0.1:$PORT/citizen-desk/webhooks/zalo" \
    --state "$STATE/simulator" > "$STATE/simulator.log" 2>&1 &
  echo $! > "$STATE/simulator.pgid"
  wait_for "http://127.0.0.1:$SIM_PORT/_sim/health" 60 "the simulator"

  echo "2/4 preparing the domain DB ($CITIZEN_DESK_DB_URL)"
  "$VENV/bin/python" -m citizen_desk db upgrade
  "$VENV/bin/python" -m citizen_desk registry sync --actor demo

  # standalone migrates Airflow's metadata DB itself; the first start takes 1-3 minutes
  echo "3/4 starting Airflow (api-server, scheduler, dag-processor, triggerer; log: $STATE/airflow.log)"
  setsid "$VENV/bin/airflow" standalone > "$STATE/airflow.log" 2>&1 &
  local airflow_pgid=$!
  echo "$airflow_pgid" > "$STATE/airflow.pgid"

  echo "4/4 waiting for Airflow, then creating the pools, loading the channels' connections and unpausing every DAG"
  # shellcheck disable=SC2046  # one argument per dag id
  PYTHONPATH=$ROOT/devtools:$ROOT/include "$VENV/bin/python" scripts/demo_ready.py \
    --url "http://localhost:$PORT" --username="$DEMO_USER" --password="$DEMO_PASSWORD" \
    --pgid "$airflow_pgid" --log "$STATE/airflow.log" --connections "$CITIZEN_DESK_DEMO_CONNECTIONS" \
    $("$VENV/bin/python" scripts/list_dags.py) \
    || { echo "the demo is not ready; what did start keeps running until: make stop" >&2; exit 1; }
  cat <<MSG

Citizen Desk demo is running.
  Airflow UI:   http://localhost:$PORT   (user: $DEMO_USER  password: $DEMO_PASSWORD)
  Simulator:    http://127.0.0.1:$SIM_PORT/_sim/stats   (Slack: /_sim/slack/messages, posts: /_sim/posts)
  Domain DB:    $CITIZEN_DESK_DB_URL
  Logs:         $STATE/airflow.log, $STATE/simulator.log
  CLI:          .venv/bin/citizen-desk --help
Stop with: make stop
MSG
}

case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  env) environment; env | grep -E '^(AIRFLOW|CITIZEN_DESK|PYTHONPATH)' | sort ;;
  *) echo "usage: $0 start|stop|env" >&2; exit 2 ;;
esac
