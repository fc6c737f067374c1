#!/usr/bin/env bash
# make demo: hand a file and a listening socket to a program that shows
# what it received, then the same with an fd the shell opened.
set -euo pipefail
ww=${1:-bin/ww}
bin=$(dirname "$ww")
go build -o "$bin/ww-demo" ./cmd/ww-demo

run() { printf '\n$ %s\n' "$*"; "$@"; }
run "$ww" run --with-fd readme=file:README.md --with-fd http=listen:tcp:127.0.0.1:0 -- "$bin/ww-demo"
run "$ww" run --systemd --with-fd http=listen:tcp:127.0.0.1:0 --with-fd readme=file:README.md -- "$bin/ww-demo"
printf '\n$ %s\n' "$ww run --with-fd go=5 -- $bin/ww-demo 5<go.mod"
"$ww" run --with-fd go=5 -- "$bin/ww-demo" 5<go.mod
