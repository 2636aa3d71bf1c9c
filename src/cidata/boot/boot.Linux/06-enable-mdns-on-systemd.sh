#!/bin/sh
# With systemd-resolved: resolve mDNS (.local) names, globally and on every link (the per-link
# setting is volatile, hence on every boot).
set -eu

[ ! -f /sbin/openrc-run ] || exit 0
command -v systemctl >/dev/null 2>&1 || exit 0
command -v resolvectl >/dev/null 2>&1 || exit 0

conf=/etc/systemd/resolved.conf.d/00-lima-enable-mdns.conf
wanted="[Resolve]
MulticastDNS=yes"
if [ "$(cat "$conf" 2>/dev/null || true)" != "$wanted" ]; then
	mkdir -p "$(dirname "$conf")"
	printf '%s\n' "$wanted" >"$conf"
	systemctl daemon-reload
	systemctl restart systemd-resolved.service
fi

for link in $(resolvectl status | sed -n -E 's/^Link +[0-9]+ \(([^)]+)\)/\1/p'); do
	resolvectl mdns "$link" yes || true
done
