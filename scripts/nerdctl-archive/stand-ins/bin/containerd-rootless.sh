#!/bin/sh
# STAND-IN for nerdctl's containerd-rootless.sh (lima-ts test archive): runs containerd as the
# calling user inside RootlessKit's user, mount and network namespaces (slirp4netns), with
# /var/lib/containerd, /run/containerd and /etc/containerd bound to the user's XDG directories,
# so the socket appears as $XDG_RUNTIME_DIR/containerd/containerd.sock outside.
set -eu
: "${XDG_RUNTIME_DIR:?XDG_RUNTIME_DIR must be set (run this from systemd --user)}"
data="${XDG_DATA_HOME:-$HOME/.local/share}/containerd"
config="${XDG_CONFIG_HOME:-$HOME/.config}/containerd"
run="$XDG_RUNTIME_DIR/containerd"

if [ -z "${_CONTAINERD_ROOTLESS_CHILD:-}" ]; then
	mkdir -p "$data" "$config" "$run"
	export _CONTAINERD_ROOTLESS_CHILD=1
	exec rootlesskit \
		--state-dir="$XDG_RUNTIME_DIR/containerd-rootless" \
		--net=slirp4netns --mtu=65520 --slirp4netns-sandbox=auto --slirp4netns-seccomp=auto \
		--disable-host-loopback --port-driver=builtin \
		--copy-up=/etc --copy-up=/run --copy-up=/var/lib \
		--propagation=rslave \
		"$0" "$@"
fi

# In the namespaces: uid 0 here is the user outside.
rm -f /run/containerd /var/lib/containerd /etc/containerd 2>/dev/null || true
mkdir -p /run/containerd /var/lib/containerd /etc/containerd
mount --bind "$run" /run/containerd
mount --bind "$data" /var/lib/containerd
mount --bind "$config" /etc/containerd
exec containerd "$@"
