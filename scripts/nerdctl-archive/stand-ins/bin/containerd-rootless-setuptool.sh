#!/bin/sh
# STAND-IN for nerdctl's containerd-rootless-setuptool.sh (lima-ts test archive). `install`
# writes and starts the user's containerd.service (containerd-rootless.sh); `uninstall` removes it;
# `nsenter` runs a command in its namespaces. There is no BuildKit, stargz or fuse-overlayfs in
# this archive: their install-* commands say so and succeed, so that Lima's boot script goes on.
set -eu
bindir="$(dirname "$(readlink -f "$0")")"
units="${XDG_CONFIG_HOME:-$HOME/.config}/systemd/user"
unit="$units/containerd.service"
: "${XDG_RUNTIME_DIR:?XDG_RUNTIME_DIR must be set}"

install_containerd() {
	[ "$(id -u)" != 0 ] || { echo "[ERROR] refusing to run as root" >&2; exit 1; }
	command -v newuidmap >/dev/null || { echo "[ERROR] newuidmap is missing (install uidmap)" >&2; exit 1; }
	grep -q "^$(id -un):" /etc/subuid || { echo "[ERROR] no /etc/subuid entry for $(id -un)" >&2; exit 1; }
	mkdir -p "$units"
	cat >"$unit" <<UNIT
[Unit]
Description=containerd (Rootless, lima-ts stand-in setup)

[Service]
Environment=PATH=$bindir:/sbin:/usr/sbin:/usr/local/bin:/usr/bin:/bin
ExecStart=$bindir/containerd-rootless.sh
ExecReload=/bin/kill -s HUP \$MAINPID
TimeoutSec=0
RestartSec=2
Restart=always
StartLimitBurst=3
StartLimitInterval=60s
LimitNOFILE=infinity
LimitNPROC=infinity
LimitCORE=infinity
TasksMax=infinity
Delegate=yes
Type=simple
KillMode=mixed

[Install]
WantedBy=default.target
UNIT
	systemctl --user daemon-reload
	systemctl --user enable --now containerd
	i=0
	until [ -S "$XDG_RUNTIME_DIR/containerd/containerd.sock" ]; do
		i=$((i + 1))
		if [ "$i" -gt 60 ]; then
			echo "[ERROR] containerd (rootless) did not come up; see: journalctl --user -u containerd" >&2
			exit 1
		fi
		sleep 1
	done
	echo "[INFO] Installed containerd.service (rootless, stand-in setup)"
}

case "${1:-}" in
check) command -v rootlesskit slirp4netns newuidmap >/dev/null && echo "[INFO] Requirements are satisfied" ;;
install) install_containerd ;;
uninstall)
	systemctl --user disable --now containerd 2>/dev/null || true
	rm -f "$unit"
	systemctl --user daemon-reload
	;;
nsenter)
	shift
	[ "${1:-}" != -- ] || shift
	exec nsenter -U --preserve-credentials -m -n -t "$(cat "$XDG_RUNTIME_DIR/containerd-rootless/child_pid")" "$@"
	;;
install-buildkit | install-buildkit-containerd | install-stargz | install-fuse-overlayfs | install-bypass4netnsd | install-ipfs)
	echo "[INFO] $1: skipped, this stand-in archive has no such component"
	;;
uninstall-*) ;;
*)
	echo "containerd-rootless-setuptool.sh (stand-in): unknown command \`${1:-}\`" >&2
	exit 1
	;;
esac
