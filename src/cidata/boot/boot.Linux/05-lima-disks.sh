#!/bin/sh
# Additional disks (lima.yaml `additionalDisks`): disk i is /dev/$LIMA_CIDATA_DISK_i_DEVICE. On first
# use (no filesystem labelled lima-<name> yet, and format enabled) it gets a GPT with a single
# partition holding <fstype> (default ext4) or swap, labelled lima-<name>. Then the partition is
# mounted at /mnt/lima-<name> (or enabled as swap) and grown to the size of the disk.
set -eu

[ "${LIMA_CIDATA_DISKS:-0}" -gt 0 ] || exit 0

disk_var() {
	eval "printf '%s' \"\${LIMA_CIDATA_DISK_${1}_${2}:-}\""
}

format_disk() {
	name="$1" device="$2" fstype="$3" fsargs="$4"
	if [ "$fstype" = swap ]; then
		echo 'type=swap' | sfdisk --label gpt "/dev/$device"
		# shellcheck disable=SC2086 # fsargs are separate words
		mkswap $fsargs -L "lima-$name" "/dev/${device}1"
	else
		echo 'type=linux' | sfdisk --label gpt "/dev/$device"
		# shellcheck disable=SC2086
		"mkfs.$fstype" $fsargs -L "lima-$name" "/dev/${device}1"
	fi
}

grow() {
	name="$1" device="$2" fstype="$3"
	command -v growpart >/dev/null 2>&1 || return 0
	growpart "/dev/$device" 1 || true # "NOCHANGE" exits 1
	case "$fstype" in
	ext2 | ext3 | ext4) resize2fs "/dev/${device}1" || true ;;
	xfs) xfs_growfs "/mnt/lima-$name" || true ;;
	swap) ;;
	*) echo "not growing the $fstype filesystem of disk $name: unknown filesystem" >&2 ;;
	esac
}

i=0
while [ "$i" -lt "$LIMA_CIDATA_DISKS" ]; do
	name="$(disk_var "$i" NAME)"
	device="$(disk_var "$i" DEVICE)"
	format="$(disk_var "$i" FORMAT)"
	fstype="$(disk_var "$i" FSTYPE)"
	fsargs="$(disk_var "$i" FSARGS)"
	i=$((i + 1))
	[ -n "$fstype" ] || fstype=ext4

	if [ ! -b "/dev/disk/by-label/lima-$name" ] && [ "$format" != false ]; then
		format_disk "$name" "$device" "$fstype" "$fsargs"
	fi
	if [ "$fstype" = swap ]; then
		swapon "/dev/${device}1"
	else
		mkdir -p "/mnt/lima-$name"
		mountpoint -q "/mnt/lima-$name" || mount -t "$fstype" "/dev/${device}1" "/mnt/lima-$name"
	fi
	grow "$name" "$device" "$fstype"
done
