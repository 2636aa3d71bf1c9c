#!/bin/sh
# /run/host-services belongs to the user, so the host agent can place the forwarded SSH agent
# socket there without sudo.
set -eu

mkdir -p /run/host-services
chmod 700 /run/host-services
chown -R "$LIMA_CIDATA_USER" /run/host-services
