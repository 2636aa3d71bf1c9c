#!/bin/sh
# host.lima.internal names the host (the SLIRP gateway). The host resolver answers it too, but
# /etc/hosts makes it work when the host resolver is disabled.
set -eu

tmp="$(mktemp /etc/hosts.lima.XXXXXX)"
grep -v 'host\.lima\.internal' /etc/hosts >"$tmp" || true
printf '%s\thost.lima.internal\n' "$LIMA_CIDATA_SLIRP_GATEWAY" >>"$tmp"
chmod 644 "$tmp"
mv "$tmp" /etc/hosts
