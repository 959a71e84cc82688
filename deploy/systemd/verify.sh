#!/bin/sh
# verify.sh -- check the systemd units in this directory with `systemd-analyze verify`.
#
# Usage: deploy/systemd/verify.sh [UNIT_FILE...]     (default: every unit in this directory)
#
# The units are copied to a temporary directory (so they are verified together, as they will
# be installed, and can reference each other) and verified there. An Exec*= command that does
# not exist on this machine (e.g. /usr/local/bin/sportello before `make install`) is pointed
# at an executable stub in the copy, because verify rejects a missing binary; when the real
# binary is installed the unit is verified unchanged.
#
# Fails (exit 1) when verify fails or prints ANY message about our units: systemd only warns,
# and exits 0, on an unknown directive ("Unknown key 'ProtectHom' in section [Service]") or a
# bad value, which is exactly what this script must catch. Messages about other units on
# the machine are shown but ignored.
#
# Also prints `systemd-analyze security --offline` for the services and fails when a
# service's exposure is above SPORTELLO_MAX_EXPOSURE (default 2.0 on systemd's 0-10 scale,
# currently 0.9), so the sandboxing cannot silently regress. Without systemd-analyze it
# prints "SKIP: ..." and exits 0.

set -u
here=$(cd "$(dirname "$0")" && pwd)
max_exposure=${SPORTELLO_MAX_EXPOSURE:-2.0}

if ! command -v systemd-analyze >/dev/null 2>&1; then
    echo "SKIP: systemd-analyze not found (apt-get install systemd)"
    exit 0
fi

if [ $# -eq 0 ]; then
    # Every unit shipped here (a pattern that matches nothing is dropped, not verified).
    for pattern in "$here"/*.socket "$here"/*.service "$here"/*.timer; do
        [ -e "$pattern" ] && set -- "$@" "$pattern"
    done
    [ $# -gt 0 ] || { echo "verify.sh: no unit files in $here" >&2; exit 1; }
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/sportello-verify.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM

printf '#!/bin/sh\nexit 0\n' >"$tmp/stub"
chmod 755 "$tmp/stub"

names=
for f in "$@"; do
    [ -f "$f" ] || { echo "verify.sh: no such unit file: $f" >&2; exit 1; }
    name=$(basename "$f")
    names="$names $name"
    # Exec lines: Exec<Something>=[prefixes]/path args. Rewrite missing binaries to the stub.
    cp "$f" "$tmp/$name"
    for bin in $(sed -n 's/^[[:space:]]*Exec[A-Za-z]*=[-@:+!]*\(\/[^[:space:]]*\).*/\1/p' "$f" | sort -u); do
        if [ ! -x "$bin" ]; then
            echo "note: $name: $bin is not installed here; verifying with a stub in its place"
            awk -v bin="$bin" -v stub="$tmp/stub" '
                /^[ \t]*Exec[A-Za-z]*=/ {
                    eq = index($0, "="); head = substr($0, 1, eq); rest = substr($0, eq + 1)
                    while (rest ~ /^[-@:+!]/) { head = head substr(rest, 1, 1); rest = substr(rest, 2) }
                    if (rest == bin || index(rest, bin " ") == 1 || index(rest, bin "\t") == 1)
                        $0 = head stub substr(rest, length(bin) + 1)
                }
                { print }' "$tmp/$name" >"$tmp/$name.new" && mv "$tmp/$name.new" "$tmp/$name"
        fi
    done
done

status=0
# verify adds the directories of the given files to the unit search path, so units in $tmp
# find each other (Requires=sportello.socket, Unit=sportello-sweep.service, ...).
out=$(cd "$tmp" && for n in $names; do printf '%s\n' "$tmp/$n"; done |
      xargs systemd-analyze verify --man=no --generators=no 2>&1)
rc=$?
if [ -n "$out" ]; then
    printf '%s\n' "$out"
fi
if [ $rc -ne 0 ]; then
    echo "FAIL: systemd-analyze verify exited with status $rc"
    status=1
fi
# shellcheck disable=SC2086 # $names: one pattern per unit name
printf '%s\n' "$tmp" $names >"$tmp/patterns"
ours=$(printf '%s\n' "$out" | grep -F -f "$tmp/patterns" || true)
if [ -n "$ours" ]; then
    echo "FAIL: systemd-analyze verify reported problems in our units:"
    printf '%s\n' "$ours" | sed 's/^/  /'
    status=1
fi

# verify does not notice a timer whose Unit= names a unit that does not exist, nor a
# dependency on a misspelled unit name; check the references between our own units.
for n in $names; do
    refs=$(sed -n 's/^[[:space:]]*\(Unit\|Requires\|Wants\|BindsTo\|PartOf\|After\|Before\|Also\|Service\)=\(.*\)/\2/p' "$tmp/$n")
    case $n in
        *.timer) grep -q '^[[:space:]]*Unit=' "$tmp/$n" || refs="$refs ${n%.timer}.service" ;;
    esac
    for r in $refs; do
        case $r in sportello*) ;; *) continue ;; esac
        case " $names " in
            *" $r "*) ;;
            *) if [ ! -e "/etc/systemd/system/$r" ] && [ ! -e "/lib/systemd/system/$r" ]; then
                   echo "FAIL: $n refers to $r, which is neither among the verified units nor installed"
                   status=1
               fi ;;
        esac
    done
done

# Sandboxing exposure (systemd >= 250 has --offline).
if systemd-analyze security --help 2>/dev/null | grep -q -- '--offline'; then
    for n in $names; do
        case $n in *.service) ;; *) continue ;; esac
        level=$(cd "$tmp" && systemd-analyze security --offline=yes --no-pager "$tmp/$n" 2>&1 |
                sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
        if [ -z "$level" ]; then
            echo "FAIL: systemd-analyze security gave no exposure level for $n"
            status=1
        elif awk -v l="$level" -v m="$max_exposure" 'BEGIN { exit !(l > m) }'; then
            echo "FAIL: $n exposure $level is above $max_exposure (see: systemd-analyze security --offline=yes $n)"
            status=1
        else
            echo "ok: $n exposure level $level (max $max_exposure)"
        fi
    done
else
    echo "note: systemd-analyze security --offline not available; exposure not checked"
fi

# The sweep runs with exactly the server's sandbox: the directives after "-- Sandboxing" match.
sandbox() { sed -n '/^# -- Sandboxing/,/^\[Install\]/p' "$1" | grep -v '^#' | grep -v '^\[' | grep -v '^[[:space:]]*$'; }
if [ -f "$here/sportello-sweep.service" ] && [ -f "$here/sportello.service" ]; then
    if [ "$(sandbox "$here/sportello.service")" = "$(sandbox "$here/sportello-sweep.service")" ]; then
        echo "ok: sportello-sweep.service has sportello.service's sandboxing"
    else
        echo "FAIL: sportello-sweep.service's sandboxing differs from sportello.service's"
        status=1
    fi
fi

if [ $status -eq 0 ]; then
    echo "PASS: systemd-analyze verify:$names"
fi
exit $status
