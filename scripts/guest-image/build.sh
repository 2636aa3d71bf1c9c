#!/usr/bin/env bash
# Builds the lima-ts test guest: Debian 12 (bookworm) x86_64 from the host's own apt
# sources (no cloud image download needed), as a kernel + initrd + ext4-in-qcow2 triple
# for direct kernel boot (root=/dev/vda, no partition table).
#
# Usage: scripts/guest-image/build.sh [--force]
# Output: ${LIMA_TS_GUEST_CACHE:-/var/cache/lima-ts/guest}/debian-12-x86_64/
#         vmlinuz, initrd.img (cloud kernel), vmlinuz-generic, initrd-generic.img
#         (generic kernel, which has 9p), disk.qcow2, recipe.sha256
# Building needs root (mmdebstrap root mode; mkfs.ext4 -d must see real file ownership);
# the result is world-readable, so every user of the machine boots the same image.
set -euo pipefail

SELF="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")"
readonly SELF
readonly SCRIPT_DIR="${SELF%/*}"
readonly PACKAGES_FILE="$SCRIPT_DIR/packages.txt"
readonly IMAGE_NAME=debian-12-x86_64
readonly SUITE=bookworm
# System-wide rather than per user: only root can build it, and Lima's users are not root.
readonly CACHE_ROOT="${LIMA_TS_GUEST_CACHE:-/var/cache/lima-ts/guest}"
readonly OUT_DIR="$CACHE_ROOT/$IMAGE_NAME"
# Virtual size of the root filesystem. qcow2 stores only used blocks, and cloud-init's
# resizefs grows the filesystem when Lima enlarges the disk (`disk:`).
readonly ROOTFS_SIZE=2G
export PATH="$PATH:/usr/sbin:/sbin"

log() { printf '[guest-image] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# ---------------------------------------------------------------------------
# Recipe stamp: anything that changes the image must be in here.

recipe_hash() {
  cat "$SELF" "$PACKAGES_FILE" | sha256sum | cut -d' ' -f1
}

is_up_to_date() {
  local want="$1" file
  for file in vmlinuz initrd.img vmlinuz-generic initrd-generic.img disk.qcow2 recipe.sha256; do
    [[ -f "$OUT_DIR/$file" ]] || return 1
  done
  [[ "$(<"$OUT_DIR/recipe.sha256")" == "$want" ]]
}

package_list() {
  sed -e 's/#.*//' -e 's/[[:space:]]//g' "$PACKAGES_FILE" | grep -v '^$' | paste -sd, -
}

# ---------------------------------------------------------------------------
# Host preparation

ensure_host_tools() {
  local -A package_of=(
    [mmdebstrap]=mmdebstrap
    [qemu-img]=qemu-utils
    [mkfs.ext4]=e2fsprogs
    [qemu-system-x86_64]=qemu-system-x86
  )
  local tool missing=()
  for tool in "${!package_of[@]}"; do
    command -v "$tool" >/dev/null || missing+=("${package_of[$tool]}")
  done
  ((${#missing[@]} == 0)) && return 0
  log "installing host tools: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

# Refuses to delete anything that still has a mount below it (mmdebstrap mounts
# /dev, /proc and /sys into the tree while it runs).
remove_build_dir() {
  local dir="$1"
  [[ -e "$dir" ]] || return 0
  if findmnt -rn -o TARGET | grep -qF "$dir/"; then
    die "$dir still has mounts below it; unmount them and delete it by hand"
  fi
  rm -rf --one-file-system "$dir"
}

# ---------------------------------------------------------------------------
# Guest configuration (runs as mmdebstrap's customize hook: $1 = tree, with
# /dev, /proc and /sys mounted so update-initramfs works).

customize_tree() {
  local tree="$1"

  # mmdebstrap copies the build host's hostname, and package scripts put it into
  # the ssh host key comments; cloud-init sets the hostname and makes host keys per instance.
  echo localhost >"$tree/etc/hostname"
  rm -f "$tree"/etc/ssh/ssh_host_*

  # No partition table: the whole virtio disk is the root filesystem.
  cat >"$tree/etc/fstab" <<'EOF'
/dev/vda / ext4 defaults,discard,errors=remount-ro 0 1
EOF

  cat >"$tree/etc/cloud/cloud.cfg.d/90-lima-ts.cfg" <<'EOF'
# lima-ts test guest: Lima only ever attaches a NoCloud "cidata" volume, so skip
# probing every other cloud (ds-identify and cloud-init-local are much faster).
datasource_list: [NoCloud, None]
# No ifupdown or netplan in the image: render network-config for systemd-networkd.
system_info:
  network:
    renderers: [networkd]
    activators: [networkd]
# RSA host key generation is the slowest step of the ssh module under TCG.
ssh_genkeytypes: [ed25519, ecdsa]
# Lima gives every boot a new instance-id, so per-instance modules run on every boot.
# Under TCG each costs time; keep the modules Lima's user-data relies on (users, ssh,
# growpart/resizefs, mounts, write_files, bootcmd, timezone, ca-certs, packages,
# per-boot scripts) and drop cloud-specific ones. locale is dropped: the image's
# /etc/default/locale is C.UTF-8 and Debian's default en_US.UTF-8 is not generated.
cloud_init_modules:
 - seed_random
 - bootcmd
 - write-files
 - growpart
 - resizefs
 - disk_setup
 - mounts
 - set_hostname
 - update_hostname
 - update_etc_hosts
 - ca-certs
 - users-groups
 - ssh
cloud_config_modules:
 - timezone
 - runcmd
cloud_final_modules:
 - package-update-upgrade-install
 - write-files-deferred
 - scripts-vendor
 - scripts-per-once
 - scripts-per-boot
 - scripts-per-instance
 - scripts-user
 - final-message
 - power-state-change
EOF
  echo 'LANG=C.UTF-8' >"$tree/etc/default/locale"

  # Small initrd: the only modules needed to reach and mount /dev/vda.
  cat >"$tree/etc/initramfs-tools/conf.d/lima-ts.conf" <<'EOF'
MODULES=list
FSTYPE=ext4
COMPRESS=zstd
EOF
  # ext4 is built into the cloud kernel (a no-op there) but a module of the generic one.
  printf '%s\n' virtio_pci virtio_blk ext4 >>"$tree/etc/initramfs-tools/modules"
  trim_generic_modules "$tree"
  chroot "$tree" update-initramfs -u -k all

  chroot "$tree" systemctl enable systemd-networkd.service systemd-resolved.service
  # Periodic maintenance that only costs boot time in a throwaway test VM.
  chroot "$tree" systemctl mask \
    apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer e2scrub_reap.service fstrim.timer

  # Lima's extra NICs (networks[]) may never get a lease; do not block boot on them.
  mkdir -p "$tree/etc/systemd/system/systemd-networkd-wait-online.service.d"
  cat >"$tree/etc/systemd/system/systemd-networkd-wait-online.service.d/lima-ts.conf" <<'EOF'
[Service]
ExecStart=
ExecStart=/lib/systemd/systemd-networkd-wait-online --any --timeout=30
EOF

  touch "$tree/etc/environment"
  rm -f "$tree"/var/cache/debconf/*-old "$tree"/var/lib/dpkg/*-old "$tree"/var/cache/apt/*.bin
}

# The generic kernel is there for 9p (the cloud kernel has none); its hardware drivers
# (GPUs, Wi-Fi, USB, sound, ...) would triple the image, and a QEMU guest needs none of them.
trim_generic_modules() {
  local tree="$1" moddir version
  for moddir in "$tree"/lib/modules/*; do
    version="${moddir##*/}"
    [[ "$version" == *-cloud-* ]] && continue
    (
      cd "$moddir/kernel"
      rm -rf sound net/wireless net/mac80211 net/bluetooth net/nfc \
        drivers/{gpu,media,infiniband,staging,usb,iio,bluetooth,isdn,mmc,mtd,video,hwmon} \
        drivers/{thunderbolt,target,fpga,leds,firewire,parport,pcmcia,atm,nfc,power,platform} \
        drivers/{i2c,spi,w1,mfd,regulator,misc,soundwire,accel,comedi,nvme,gnss,hid} \
        drivers/net/{wireless,ethernet,usb,can,wwan,ieee802154,fddi,arcnet,hamradio,plip,slip}
    )
    chroot "$tree" depmod "$version"
  done
}

# ---------------------------------------------------------------------------
# Build steps

# A signal to this script alone must still stop mmdebstrap (which unmounts its tree on
# SIGTERM) before the EXIT trap deletes the build directory. bash runs traps only between
# commands, so the long step runs in the background and is awaited.
CHILD_PID=""
run_child() {
  "$@" &
  CHILD_PID=$!
  local rc=0
  wait "$CHILD_PID" || rc=$?
  CHILD_PID=""
  return "$rc"
}

stop_child_and_exit() {
  if [[ -n "$CHILD_PID" ]]; then
    kill -TERM "$CHILD_PID" 2>/dev/null || true
    wait "$CHILD_PID" 2>/dev/null || true
  fi
  exit "$1"
}

build_tree() {
  local tree="$1" packages
  packages="$(package_list)"
  # No mirror argument: mmdebstrap uses deb.debian.org (+ updates, security) via the
  # host's apt setup, so no build-host-specific name ends up in the guest.
  # exec: run_child's background subshell becomes mmdebstrap, so a signal reaches it.
  exec mmdebstrap --mode=root --variant=apt \
    --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr \
    --include="$packages" \
    --dpkgopt='path-exclude=/usr/share/man/*' \
    --dpkgopt='path-exclude=/usr/share/doc/*' \
    --dpkgopt='path-include=/usr/share/doc/*/copyright' \
    --dpkgopt='path-exclude=/usr/share/info/*' \
    --dpkgopt='path-exclude=/usr/share/locale/*' \
    --dpkgopt='path-include=/usr/share/locale/locale.alias' \
    --customize-hook="\"$SELF\" --customize \"\$1\"" \
    "$SUITE" "$tree"
}

# Copies the kernels and initrds out for direct kernel boot and drops them from the
# tree: the guest never boots from its own /boot. The cloud kernel is the default
# (faster boot); the generic one is for 9p.
extract_boot_files() {
  local tree="$1" out="$2" cloud generic
  cloud="$(find "$tree/boot" -maxdepth 1 -name 'vmlinuz-*-cloud-amd64' -printf '%f\n' | sed 's/^vmlinuz-//' | sort -V | tail -n1)"
  generic="$(find "$tree/boot" -maxdepth 1 -name 'vmlinuz-*-amd64' ! -name '*-cloud-amd64' -printf '%f\n' | sed 's/^vmlinuz-//' | sort -V | tail -n1)"
  [[ -n "$cloud" && -n "$generic" ]] || die "no cloud or generic kernel in $tree/boot"
  cp "$tree/boot/vmlinuz-$cloud" "$out/vmlinuz"
  cp "$tree/boot/initrd.img-$cloud" "$out/initrd.img"
  cp "$tree/boot/vmlinuz-$generic" "$out/vmlinuz-generic"
  cp "$tree/boot/initrd.img-$generic" "$out/initrd-generic.img"
  rm -f "$tree"/boot/vmlinuz-* "$tree"/boot/initrd.img-* "$tree"/vmlinuz* "$tree"/initrd.img*
}

make_disk() {
  local tree="$1" out="$2" raw="$2/disk.raw"
  mkfs.ext4 -q -L lima-root -E root_owner=0:0 -d "$tree" "$raw" "$ROOTFS_SIZE" >/dev/null
  qemu-img convert -c -O qcow2 "$raw" "$out/disk.qcow2"
  rm -f "$raw"
}

# Swaps the finished directory into place. The old one is moved aside first, so at
# every moment OUT_DIR is either absent, the old image, or the new complete image.
install_output() {
  local build_dir="$1"
  if [[ -e "$OUT_DIR" ]]; then
    mv -T "$OUT_DIR" "$build_dir/previous"
  fi
  mv -T "$build_dir/out" "$OUT_DIR"
}

print_summary() {
  local seconds="$1" tree_size="$2" file
  log "built $OUT_DIR in ${seconds}s (root tree ${tree_size})"
  for file in vmlinuz initrd.img vmlinuz-generic initrd-generic.img disk.qcow2; do
    log "  $(du -h --apparent-size "$OUT_DIR/$file" | cut -f1)  $file"
  done
  log "  disk virtual size: $(qemu-img info --output=json "$OUT_DIR/disk.qcow2" |
    sed -n 's/.*"virtual-size": \([0-9]*\).*/\1/p' | numfmt --to=iec)"
}

build() {
  local force="$1" recipe build_dir tree_size
  recipe="$(recipe_hash)"
  if [[ "$force" != 1 ]] && is_up_to_date "$recipe"; then
    log "up to date: $OUT_DIR"
    return 0
  fi
  ((EUID == 0)) || die "$OUT_DIR is missing or out of date; build it as root: sudo $SELF (mmdebstrap --mode=root, ownership-preserving mkfs.ext4 -d)"
  umask 022
  ensure_host_tools
  mkdir -p "$CACHE_ROOT"

  # One build at a time per cache; a waiting build may find the work already done.
  exec 9>"$CACHE_ROOT/.$IMAGE_NAME.lock"
  flock 9
  if [[ "$force" != 1 ]] && is_up_to_date "$recipe"; then
    log "up to date: $OUT_DIR"
    return 0
  fi
  local stale
  for stale in "$CACHE_ROOT/.$IMAGE_NAME.build."*; do
    remove_build_dir "$stale"
  done

  build_dir="$(mktemp -d "$CACHE_ROOT/.$IMAGE_NAME.build.XXXXXX")"
  # shellcheck disable=SC2064 # expand build_dir now
  trap "remove_build_dir '$build_dir'" EXIT
  trap 'stop_child_and_exit 130' INT
  trap 'stop_child_and_exit 143' TERM
  mkdir "$build_dir/out"

  SECONDS=0
  log "building $IMAGE_NAME in $build_dir"
  run_child build_tree "$build_dir/tree"
  extract_boot_files "$build_dir/tree" "$build_dir/out"
  tree_size="$(du -sh "$build_dir/tree" | cut -f1)"
  make_disk "$build_dir/tree" "$build_dir/out"
  echo "$recipe" >"$build_dir/out/recipe.sha256"
  install_output "$build_dir"
  print_summary "$SECONDS" "$tree_size"
}

main() {
  case "${1:-}" in
    --customize) customize_tree "$2" ;;
    --force) build 1 ;;
    "") build 0 ;;
    -h | --help) sed -n '2,9p' "$SELF" | sed 's/^# \{0,1\}//' ;;
    *) die "unknown argument: $1 (usage: build.sh [--force])" ;;
  esac
}

main "$@"
