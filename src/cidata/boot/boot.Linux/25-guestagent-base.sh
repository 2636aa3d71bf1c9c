#!/bin/sh
# Mount points for reverse-sshfs (created here, owned by the user, because sshfs runs as the
# user), then the guest agent: installed from the cidata volume when it differs from the
# installed copy, and (re)started as a system service. Skipped when the volume has no agent.
set -eu

if [ "$LIMA_CIDATA_MOUNTTYPE" = reverse-sshfs ]; then
	gid="$(id -g "$LIMA_CIDATA_USER")"
	i=0
	while [ "$i" -lt "$LIMA_CIDATA_MOUNTS" ]; do
		mount_point="$(eval "printf '%s' \"\$LIMA_CIDATA_MOUNTS_${i}_MOUNTPOINT\"")"
		i=$((i + 1))
		mkdir -p "$mount_point"
		chown "$LIMA_CIDATA_UID:$gid" "$mount_point"
	done
fi

agent_src="$LIMA_CIDATA_MNT/lima-guestagent"
if [ ! -f "$agent_src" ]; then
	echo "no lima-guestagent on the cidata volume; not installing the guest agent"
	exit 0
fi

agent="$LIMA_CIDATA_GUEST_INSTALL_PREFIX/bin/lima-guestagent"
mkdir -p "$(dirname "$agent")"
updated=false
# cmp rather than comparing SHA-256 sums: same answer, and hashing twice ~110 MB took ~10 s under TCG.
if ! cmp -s "$agent_src" "$agent"; then
	install -m 755 "$agent_src" "$agent"
	updated=true
fi

if [ -f /sbin/openrc-run ]; then
	conf=/etc/conf.d/lima-guestagent
	init=/etc/init.d/lima-guestagent
	new_conf="$(sed -E 's/^([^=]+)=(.*)$/\1="\2"/' "$LIMA_CIDATA_MNT/lima.env")"
	new_init="$(cat <<'INIT'
#!/sbin/openrc-run
supervisor=supervise-daemon
name="lima-guestagent"
description="Forward ports to the lima-hostagent"
log_file="${log_file:-/var/log/${RC_SVCNAME}.log}"
err_file="${err_file:-${log_file}}"
supervise_daemon_args="${supervise_daemon_opts:---stderr \"${err_file}\" --stdout \"${log_file}\"}"
command="${LIMA_CIDATA_GUEST_INSTALL_PREFIX}/bin/lima-guestagent"
command_args="daemon --debug=${LIMA_CIDATA_DEBUG} --vsock-port \"${LIMA_CIDATA_VSOCK_PORT}\" --virtio-port \"${LIMA_CIDATA_VIRTIO_PORT}\" --socket-owner \"${LIMA_CIDATA_UID}\""
command_background=true
pidfile="/run/lima-guestagent.pid"
INIT
)"
	if [ "$updated" = false ] && [ "$new_conf" = "$(cat "$conf" 2>/dev/null || true)" ] &&
		[ "$new_init" = "$(cat "$init" 2>/dev/null || true)" ]; then
		echo "lima-guestagent service already up-to-date"
		exit 0
	fi
	printf '%s\n' "$new_conf" >"$conf"
	printf '%s\n' "$new_init" >"$init"
	chmod 755 "$init"
	rc-update add lima-guestagent default
	rc-service --ifstarted lima-guestagent restart
	rc-service --ifstopped lima-guestagent start
	exit 0
fi

# systemd: the agent writes and (re)starts its own unit.
rm -f "$LIMA_CIDATA_HOME/.config/systemd/user/lima-guestagent.service" # pre-0.x per-user unit
if [ "$LIMA_CIDATA_VSOCK_PORT" != 0 ]; then
	set -- --vsock-port "$LIMA_CIDATA_VSOCK_PORT"
elif [ -n "$LIMA_CIDATA_VIRTIO_PORT" ]; then
	set -- --virtio-port "$LIMA_CIDATA_VIRTIO_PORT"
else
	set -- --socket-owner "$LIMA_CIDATA_UID"
fi
"$agent" install-systemd --debug="$LIMA_CIDATA_DEBUG" --guestagent-updated="$updated" "$@"
