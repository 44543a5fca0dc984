#!/bin/sh
# A stand-in worker: processes one job with --once, else loops.
job() { echo "worker $(cat /srv/version 2>/dev/null): job done"; }
if [ "$1" = "--once" ]; then
  job
  exit 0
fi
while true; do job; sleep 60; done
