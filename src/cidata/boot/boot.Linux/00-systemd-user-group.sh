#!/bin/sh
# A user with a system UID (below 1000) cannot read its own journal unless it is in the
# systemd-journal group; add it there so that `journalctl --user` works.
set -eu

[ "$LIMA_CIDATA_UID" -lt 1000 ] || exit 0
getent group systemd-journal >/dev/null 2>&1 || exit 0
usermod -aG systemd-journal "$LIMA_CIDATA_USER"
