#!/bin/sh
# Put the etc_environment block (between #LIMA-START and #LIMA-END) into /etc/environment,
# replacing the one from the previous start. Sessions opened before the change (e.g. by the
# host agent's first SSH probes) are terminated so that they pick up the new environment.
# Then signal the host agent that SSH sessions are ready: /run/lima-ssh-ready = IID.
set -eu

file=/etc/environment
before="$(cat "$file" 2>/dev/null || true)"
tmp="$(mktemp "$file.lima.XXXXXX")"
if [ -e "$file" ]; then
	sed '/#LIMA-START/,/#LIMA-END/d' "$file" >"$tmp"
fi
cat "$LIMA_CIDATA_MNT/etc_environment" >>"$tmp"
chmod 644 "$tmp"
mv "$tmp" "$file"

if [ "$before" != "$(cat "$file")" ] && command -v loginctl >/dev/null 2>&1; then
	loginctl terminate-user "$LIMA_CIDATA_USER" || true
fi

echo "$LIMA_CIDATA_IID" >/run/lima-ssh-ready
