#!/bin/sh
# test_socket_activation.sh -- run `sportello serve` the way sportello.socket/.service do,
# without needing systemd as PID 1: systemd-socket-activate owns the listening socket, starts
# the server on the first connection with LISTEN_FDS=1, and a datagram socket stands in for
# systemd's NOTIFY_SOCKET.
#
# Checks: the server is not started before the first connection; a server.ping over the
# activated socket (NDJSON and Content-Length) is answered; READY=1 is sent; WATCHDOG=1 is
# sent when WATCHDOG_USEC is set; SIGTERM gives STOPPING=1 and exit status 0; with
# --exit-idle-time the server exits 0 on its own when idle.
#
# Usage: SPORTELLO_BIN=.build/debug/sportello deploy/systemd/test_socket_activation.sh
# Prints "SKIP: ..." and exits 0 when the binary or a needed tool is missing.

set -u
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
bin=${SPORTELLO_BIN:-$repo/.build/debug/sportello}
case $bin in /*) ;; *) bin=$repo/$bin ;; esac

if [ ! -x "$bin" ]; then
    echo "SKIP: server binary $bin not found (build it, or set SPORTELLO_BIN)"
    exit 0
fi
for tool in systemd-socket-activate socat; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "SKIP: $tool not installed"
        exit 0
    fi
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/sportello-sa.XXXXXX") || exit 1
pids=
cleanup() {
    for p in $pids; do
        kill "$p" 2>/dev/null
    done
    for p in $pids; do
        wait "$p" 2>/dev/null
    done
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM

failures=0
pass() { echo "ok: $*"; }
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# Wait up to $2 tenths of a second for the command $1 to succeed.
wait_for() {
    i=0
    while [ "$i" -lt "$2" ]; do
        if eval "$1"; then return 0; fi
        sleep 0.1
        i=$((i + 1))
    done
    return 1
}

# A process's state letter from /proc (empty once it is gone).
alive() { [ -d "/proc/$1" ] && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null; }

ping_req='{"jsonrpc":"2.0","id":1,"method":"server.ping","params":{}}'

# Collect sd_notify datagrams in a file, one per line: socat forks a child per datagram, and
# the child appends it with a single write, so datagrams do not interleave.
: >"$tmp/notify.log"
cat >"$tmp/record" <<'END'
#!/bin/sh
m=$(cat)
printf '%s\n' "$m" >>"$NOTIFY_LOG"
END
chmod +x "$tmp/record"
NOTIFY_LOG=$tmp/notify.log socat -u "UNIX-RECVFROM:$tmp/notify.sock,fork" "EXEC:$tmp/record" \
    2>"$tmp/notify.err" &
pids="$pids $!"
wait_for '[ -S "$tmp/notify.sock" ]' 50 || { fail "notify listener did not start"; exit 1; }

start_server() { # $1 = socket, $2 = log, extra args...
    sock=$1 log=$2
    shift 2
    # systemd-socket-activate execs the server in place: $! is the server's pid, LISTEN_PID
    # and WATCHDOG_PID-less WATCHDOG_USEC apply to it.
    systemd-socket-activate -l "$sock" -E NOTIFY_SOCKET="$tmp/notify.sock" \
        -E WATCHDOG_USEC=1000000 \
        "$bin" serve --database "$tmp/sportello.db" "$@" >"$log" 2>&1 &
    server=$!
    pids="$pids $server"
    wait_for '[ -S "$sock" ]' 100 || { fail "socket $sock not created"; cat "$log"; exit 1; }
}

# --- 1. activation, ping, READY/WATCHDOG, SIGTERM ---------------------------------------------
start_server "$tmp/sportello.sock" "$tmp/server.log" --exit-idle-time 600
sleep 0.3
if grep -q READY=1 "$tmp/notify.log"; then
    fail "READY=1 before any connection: the server should start on demand"
else
    pass "nothing started before the first connection"
fi

reply=$(printf '%s\n' "$ping_req" | socat -t 10 -T 20 - "UNIX-CONNECT:$tmp/sportello.sock" 2>&1)
case $reply in
    '{"jsonrpc":"2.0","id":1,"result":{'*'"pong":true'*) pass "server.ping over the activated socket: $reply" ;;
    *) fail "server.ping over the activated socket, got: $reply" ;;
esac

body=$ping_req
len=$(printf '%s' "$body" | wc -c | tr -d ' ')
reply=$(printf 'Content-Length: %s\r\n\r\n%s' "$len" "$body" |
        socat -t 10 -T 20 - "UNIX-CONNECT:$tmp/sportello.sock" 2>&1 | tr -d '\r')
case $reply in
    "Content-Length: "*'"pong":true'*) pass "Content-Length framing over the activated socket" ;;
    *) fail "Content-Length framing, got: $reply" ;;
esac

if [ -x "$repo/clients/sh/sportello-rpc" ]; then
    out=$("$repo/clients/sh/sportello-rpc" --socket "$tmp/sportello.sock" server.info 2>&1)
    case $out in
        *'"transport"'*) pass "sportello-rpc server.info: $out" ;;
        *) fail "sportello-rpc server.info, got: $out" ;;
    esac
fi

if wait_for 'grep -q "READY=1" "$tmp/notify.log"' 50; then
    pass "READY=1 sent"
else
    fail "no READY=1 on NOTIFY_SOCKET"
fi
if wait_for 'grep -q "WATCHDOG=1" "$tmp/notify.log"' 30; then
    pass "WATCHDOG=1 sent (WATCHDOG_USEC=1s)"
else
    fail "no WATCHDOG=1 within 3s although WATCHDOG_USEC=1000000"
fi

kill -TERM "$server"
wait "$server"
rc=$?
if [ "$rc" -eq 0 ]; then pass "SIGTERM: exit status 0"; else fail "SIGTERM: exit status $rc"; cat "$tmp/server.log"; fi
if wait_for 'grep -q "STOPPING=1" "$tmp/notify.log"' 20; then
    pass "STOPPING=1 sent"
else
    fail "no STOPPING=1 on NOTIFY_SOCKET"
fi

# --- 2. --exit-idle-time -------------------------------------------------------------------------
start_server "$tmp/idle.sock" "$tmp/idle.log" --exit-idle-time 1
printf '%s\n' "$ping_req" | socat -t 10 -T 20 - "UNIX-CONNECT:$tmp/idle.sock" >/dev/null 2>&1
if wait_for '! alive "$server"' 100; then
    wait "$server"
    rc=$?
    if [ "$rc" -eq 0 ]; then pass "--exit-idle-time 1: exited 0 when idle"; else fail "--exit-idle-time 1: exit status $rc"; fi
else
    fail "--exit-idle-time 1: still running after 10s idle"
fi

echo "--- notifications received:"
sed '/^$/d; s/^/  /' "$tmp/notify.log" | sort | uniq -c | sed 's/^/ /'
if [ "$failures" -eq 0 ]; then
    echo "PASS: socket activation"
    exit 0
fi
echo "FAILED: $failures check(s)"
exit 1
