#!/bin/sh
# A stand-in API: answers one line, or checks itself with --self-test.
if [ "$1" = "--self-test" ]; then
  test -f /etc/motd && echo "api: self-test passed"
  exit $?
fi
echo "api $(cat /srv/version 2>/dev/null): ok"
