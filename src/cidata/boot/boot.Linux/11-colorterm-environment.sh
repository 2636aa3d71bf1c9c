#!/bin/sh
# Let sshd accept COLORTERM from clients, so that `limactl shell` keeps true-colour support.
set -eu

if [ -d /etc/ssh/sshd_config.d ]; then
	conf=/etc/ssh/sshd_config.d/10-acceptenv-colorterm.conf
	[ ! -e "$conf" ] || exit 0
	echo "AcceptEnv COLORTERM" >"$conf"
elif [ -e /etc/ssh/sshd_config ]; then
	! grep -q COLORTERM /etc/ssh/sshd_config || exit 0
	sed -i 's/^AcceptEnv LANG LC_\*$/AcceptEnv COLORTERM LANG LC_*/' /etc/ssh/sshd_config
else
	exit 0
fi

if [ -f /sbin/openrc-run ]; then
	for service in ssh sshd; do
		if [ -f "/etc/init.d/$service" ]; then
			rc-service --ifstarted "$service" reload
			break
		fi
	done
elif command -v systemctl >/dev/null 2>&1; then
	for service in ssh sshd; do
		if systemctl -q is-active "$service"; then
			systemctl reload "$service"
			break
		fi
	done
fi
