#!/bin/sh
# After `upgradePackages` on dnf-based guests: cloud-init's package_reboot_if_required only
# knows apt, so ask dnf whether the upgrade needs a reboot and reboot if so.
set -eu

[ "${LIMA_CIDATA_UPGRADE_PACKAGES:-}" = 1 ] || exit 0
command -v dnf >/dev/null 2>&1 || exit 0
# needs-restarting comes with dnf-utils / dnf-plugins-core.
dnf -h needs-restarting >/dev/null 2>&1 || exit 0

# check-update exits 1 on error (e.g. offline): then nothing can be concluded.
status=0
dnf check-update >/dev/null 2>&1 || status=$?
[ "$status" != 1 ] || exit 0

# needs-restarting -r exits 1 when a reboot is needed.
if ! LC_ALL=C.UTF-8 dnf needs-restarting -r; then
	touch "$LIMA_REBOOT_REQUIRED"
	systemctl reboot
fi
