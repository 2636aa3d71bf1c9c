#!/bin/sh
# 9p and virtiofs mounts come from cloud-init's `mounts:` (/etc/fstab, then `mount -a`). A mount
# point with a space or a backslash is written to fstab in its octal escapes (\040), which
# cloud-init also takes for the directory it creates, so `mount -a` found no mount point: create
# the real one, remove the misnamed one, and mount what is still missing. A mount that fails here
# (e.g. a kernel without 9p) is reported to the user by the host agent's check after the boot.
set -eu

case "$LIMA_CIDATA_MOUNTTYPE" in
9p | virtiofs) ;;
*) exit 0 ;;
esac

i=0
while [ "$i" -lt "${LIMA_CIDATA_MOUNTS:-0}" ]; do
	mount_point="$(eval "printf '%s' \"\$LIMA_CIDATA_MOUNTS_${i}_MOUNTPOINT\"")"
	i=$((i + 1))
	mountpoint -q "$mount_point" 2>/dev/null && continue
	escaped="$(printf '%s' "$mount_point" | sed -e 's/\\/\\134/g' -e 's/ /\\040/g' -e 's/	/\\011/g')"
	if [ "$escaped" != "$mount_point" ] && [ -d "$escaped" ]; then
		rmdir -p "$escaped" 2>/dev/null || true
	fi
	mkdir -p "$mount_point"
	mount "$mount_point" || echo "could not mount $mount_point ($LIMA_CIDATA_MOUNTTYPE)" >&2
done
