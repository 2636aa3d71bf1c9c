#!/bin/sh
# Host resolver: the guest asks $LIMA_CIDATA_SLIRP_DNS:53; DNAT that to the host agent's DNS
# servers, reachable via the SLIRP gateway on the UDP/TCP ports in lima.env. The rules live in
# the nat chain LIMADNS, jumped to first from PREROUTING and OUTPUT. Without iptables nothing
# happens here; 35-setup-packages.sh runs this again after packages were installed.
set -eu

chain=LIMADNS
command -v iptables >/dev/null 2>&1 || exit 0

if ! iptables -t nat -n -L "$chain" >/dev/null 2>&1; then
	iptables -t nat -N "$chain"
	iptables -t nat -I PREROUTING 1 -j "$chain"
	iptables -t nat -I OUTPUT 1 -j "$chain"
fi
iptables -t nat -F "$chain"

for proto in udp tcp; do
	if [ "$proto" = udp ]; then port="${LIMA_CIDATA_UDP_DNS_LOCAL_PORT:-0}"; else port="${LIMA_CIDATA_TCP_DNS_LOCAL_PORT:-0}"; fi
	if [ -z "$port" ] || [ "$port" -eq 0 ]; then continue; fi
	iptables -t nat -A "$chain" -d "$LIMA_CIDATA_SLIRP_DNS" -p "$proto" --dport 53 \
		-j DNAT --to-destination "$LIMA_CIDATA_SLIRP_GATEWAY:$port"
done
