#!/usr/bin/env bash
# TCP echo: 50 connections, 1 KiB messages, one Go load generator (benches/go/standalone/echo) against
# the same echo loop on gmp and tokio (examples/echo_server.rs) and Go's io.Copy server, each with
# GOMAXPROCS workers, loopback only. Rounds are interleaved so machine noise hits all alike.
#
#   bash benches/echo_compare.sh [ROUNDS] [SECONDS] [CONNECTIONS] [SIZE]
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-3}
SECS=${2:-5}
CONNS=${3:-50}
SIZE=${4:-1024}
export GOMAXPROCS=${GOMAXPROCS:-2}

cargo build --quiet --release --example echo_server
GO_BIN=$(mktemp -d)/echo
(cd benches/go && go build -o "$GO_BIN" ./standalone/echo)

PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

start() { # port cmd...
    local port=$1; shift
    "$@" >/dev/null 2>&1 &
    PIDS+=($!)
    for _ in $(seq 100); do
        (exec 3<>/dev/tcp/127.0.0.1/"$port") 2>/dev/null && return 0
        sleep 0.05
    done
    echo "server on $port did not start" >&2
    exit 1
}

start 19000 target/release/examples/echo_server gmp 127.0.0.1:19000
start 19001 target/release/examples/echo_server tokio 127.0.0.1:19001
start 19002 "$GO_BIN" server 127.0.0.1:19002

declare -A PORT=([gmp]=19000 [tokio]=19001 [go]=19002)
echo "echo: $CONNS connections x $SIZE B messages, ${SECS}s, GOMAXPROCS=$GOMAXPROCS (client too)"
for name in gmp tokio go; do # warm-up
    "$GO_BIN" client "127.0.0.1:${PORT[$name]}" "$CONNS" 1 "$SIZE" >/dev/null
done
for round in $(seq "$ROUNDS"); do
    for name in gmp tokio go; do
        printf '%-6s %-3s %s\n' "$name" "$round" \
            "$("$GO_BIN" client "127.0.0.1:${PORT[$name]}" "$CONNS" "$SECS" "$SIZE")"
    done
done
