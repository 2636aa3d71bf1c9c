#!/bin/sh
# Load the kernel modules containers, rootless networking and FUSE mounts rely on, early:
# some distributions (Arch) delete the module files of the running kernel when a kernel
# update is installed during the first boot. Modules built into the kernel fail harmlessly.
set -eu

command -v modprobe >/dev/null 2>&1 || exit 0

modules="fuse tun tap bridge veth
ip_tables ip6_tables iptable_nat ip6table_nat iptable_filter ip6table_filter nf_tables
x_tables xt_MASQUERADE xt_addrtype xt_comment xt_conntrack xt_mark xt_multiport xt_nat xt_tcpudp
overlay"

for module in $modules; do
	modprobe "$module" 2>/dev/null || echo "modprobe $module failed (fine if it is built into the kernel)" >&2
done
