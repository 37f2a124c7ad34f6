#!/usr/bin/env bash
# HTTP hello under wrk: the same hyper service on gmp and on tokio (examples/http_load.rs), and
# Go's net/http (benches/go/standalone/http_hello), each with GOMAXPROCS workers, loopback only.
# Rounds are interleaved (gmp, tokio, go, gmp, ...) so machine noise hits all three alike.
#
#   bash benches/http_compare.sh [ROUNDS] [DURATION] [CONNECTIONS]
#
# Needs wrk (`apt-get install -y wrk`) and go on PATH.
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-3}
DURATION=${2:-5s}
CONNS=${3:-50}
export GOMAXPROCS=${GOMAXPROCS:-2}

if ! command -v wrk >/dev/null; then
    echo "wrk not found: install it with 'apt-get install -y wrk'" >&2
    exit 1
fi
cargo build --quiet --release --features hyper --example http_load
GO_BIN=$(mktemp -d)/http_hello
(cd benches/go && go build -o "$GO_BIN" ./standalone/http_hello)

PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

start() { # name port cmd...
    local port=$2; shift 2
    "$@" >/dev/null 2>&1 &
    PIDS+=($!)
    for _ in $(seq 100); do
        (exec 3<>/dev/tcp/127.0.0.1/"$port") 2>/dev/null && return 0
        sleep 0.05
    done
    echo "server on $port did not start" >&2
    exit 1
}

start gmp 18080 target/release/examples/http_load gmp 127.0.0.1:18080
start tokio 18081 target/release/examples/http_load tokio 127.0.0.1:18081
start go 18082 "$GO_BIN" 127.0.0.1:18082

declare -A PORT=([gmp]=18080 [tokio]=18081 [go]=18082)
echo "wrk -t2 -c$CONNS -d$DURATION --latency, GOMAXPROCS=$GOMAXPROCS, $ROUNDS interleaved rounds"
printf '%-6s %-5s %12s %10s %10s\n' server round req/s p50 p99
for name in gmp tokio go; do # warm-up
    wrk -t2 -c"$CONNS" -d1s "http://127.0.0.1:${PORT[$name]}/" >/dev/null
done
for round in $(seq "$ROUNDS"); do
    for name in gmp tokio go; do
        out=$(wrk -t2 -c"$CONNS" -d"$DURATION" --latency "http://127.0.0.1:${PORT[$name]}/")
        rps=$(awk '/^Requests\/sec/ {print $2}' <<<"$out")
        p50=$(awk '$1=="50%" {print $2}' <<<"$out")
        p99=$(awk '$1=="99%" {print $2}' <<<"$out")
        errs=$(awk '/Non-2xx|Socket errors/ {print}' <<<"$out")
        printf '%-6s %-5s %12s %10s %10s %s\n' "$name" "$round" "$rps" "$p50" "$p99" "$errs"
    done
done
