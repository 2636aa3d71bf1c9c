#!/usr/bin/env bash
# Manual check that the guest built by build.sh boots the way Lima boots it: NoCloud
# cidata ISO, QEMU (TCG) command line modelled on Lima's QEMU driver, direct kernel boot
# with the template's cmdline. Waits for SSH, reports timings and a few guest facts,
# then powers the guest off.
#
# Usage: scripts/guest-image/smoke.sh [--keep]
#   --keep   keep the work directory (serial.log, cidata, overlay) for inspection
# Env: LIMA_TS_GUEST_CACHE (as build.sh), SMOKE_SSH_PORT (default: a free port),
#      SMOKE_TIMEOUT (seconds to wait for SSH, default 300), SMOKE_MEMORY (MiB, default 1024),
#      SMOKE_CMDLINE (kernel cmdline instead of the template's, for boot-speed experiments).
# The cached image is never written: the guest runs on a qcow2 overlay in a temp dir.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
readonly SCRIPT_DIR
readonly REPO_DIR="${SCRIPT_DIR%/scripts/guest-image}"
readonly TEMPLATE="$REPO_DIR/share/lima/templates/local-debian-12.yaml"
readonly IMAGE_DIR="${LIMA_TS_GUEST_CACHE:-/var/cache/lima-ts/guest}/debian-12-x86_64"
readonly GUEST_USER=smoke
readonly GUEST_MAC=52:55:55:12:34:56
readonly DISK_SIZE=4G # the template's `disk:`; cloud-init must grow the filesystem to it
readonly TIMEOUT="${SMOKE_TIMEOUT:-300}"
readonly MEMORY="${SMOKE_MEMORY:-1024}"
export PATH="$PATH:/usr/sbin:/sbin"

log() { printf '[smoke] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

KEEP=0
WORK=""
QEMU_PID=""

# ---------------------------------------------------------------------------
# Setup

pick_free_port() {
  local port
  for _ in $(seq 50); do
    port=$((20000 + RANDOM % 40000))
    if [[ -z "$(ss -Hltn "sport = :$port")" ]]; then
      echo "$port"
      return 0
    fi
  done
  die "no free TCP port found"
}

# The kernel command line comes from the template, so the smoke test boots what Lima would.
template_cmdline() {
  local cmdline
  cmdline="$(sed -n 's/^ *cmdline: *"\(.*\)".*$/\1/p' "$TEMPLATE")"
  [[ -n "$cmdline" ]] || die "no kernel cmdline in $TEMPLATE"
  echo "$cmdline"
}

# A cidata volume shaped like Lima's (§5 of lima-runtime.md), reduced to what the image
# must support: user with key + passwordless sudo, per-boot script run from the mounted
# ISO, netplan v2 network-config matching the NIC by MAC.
write_cidata() {
  local dir="$WORK/cidata" pubkey
  mkdir -p "$dir"
  pubkey="$(<"$WORK/id_ed25519.pub")"
  cat >"$dir/user-data" <<EOF
#cloud-config
growpart:
  mode: auto
  devices: ['/']
users:
  - name: "$GUEST_USER"
    uid: "1000"
    homedir: "/home/$GUEST_USER.linux"
    shell: /bin/bash
    sudo: ALL=(ALL) NOPASSWD:ALL
    lock_passwd: true
    ssh-authorized-keys:
      - "$pubkey"
write_files:
 - path: /var/lib/cloud/scripts/per-boot/00-lima.boot.sh
   owner: root:root
   permissions: '0755'
   content: |
     #!/bin/sh
     set -eu
     mkdir -p -m 700 /mnt/lima-cidata
     mount -o ro,mode=0700,dmode=0700,overriderockperm,exec,uid=0 /dev/disk/by-label/cidata /mnt/lima-cidata
     export LIMA_CIDATA_MNT=/mnt/lima-cidata
     exec "\$LIMA_CIDATA_MNT/boot.sh"
EOF
  cat >"$dir/meta-data" <<EOF
instance-id: iid-$(date +%s)
local-hostname: lima-smoke
EOF
  cat >"$dir/network-config" <<EOF
version: 2
ethernets:
  eth0:
    match:
      macaddress: '$GUEST_MAC'
    dhcp4: true
    set-name: eth0
    dhcp4-overrides:
      route-metric: 200
    dhcp-identifier: mac
    nameservers:
      addresses:
      - 192.168.5.3
EOF
  # Stand-in for Lima's boot.sh: proves the ISO is mounted and scripts on it can run.
  cat >"$dir/boot.sh" <<'EOF'
#!/bin/sh
echo "$(cat /var/lib/cloud/data/instance-id)" >/run/lima-boot-done
EOF
  chmod 755 "$dir/boot.sh"
  xorriso -as mkisofs -quiet -R -V cidata -o "$WORK/cidata.iso" "$dir"
}

prepare() {
  local file
  for file in vmlinuz initrd.img disk.qcow2; do
    [[ -f "$IMAGE_DIR/$file" ]] || die "$IMAGE_DIR/$file missing; run scripts/guest-image/build.sh"
  done
  WORK="$(mktemp -d "${TMPDIR:-/tmp}/lima-ts-smoke.XXXXXX")"
  ssh-keygen -q -t ed25519 -N '' -C smoke -f "$WORK/id_ed25519"
  write_cidata
  qemu-img create -q -f qcow2 -F qcow2 -b "$IMAGE_DIR/disk.qcow2" "$WORK/disk" "$DISK_SIZE"
}

cleanup() {
  if [[ -n "$QEMU_PID" ]] && kill -0 "$QEMU_PID" 2>/dev/null; then
    kill "$QEMU_PID" 2>/dev/null || true
    wait "$QEMU_PID" 2>/dev/null || true
  fi
  [[ -z "$WORK" ]] && return 0
  if ((KEEP)); then
    log "kept $WORK"
  else
    rm -rf "$WORK"
  fi
}

# ---------------------------------------------------------------------------
# Boot

# TCG only: /dev/kvm exists on the machines this was written for, but KVM guests hang.
start_qemu() {
  local port="$1" cmdline="$2"
  qemu-system-x86_64 \
    -m "$MEMORY" \
    -cpu max \
    -machine q35,vmport=off -accel tcg,thread=multi,tb-size=512 \
    -global ICH9-LPC.disable_s3=1 -global ICH9-LPC.disable_s4=1 \
    -smp 2,sockets=1,cores=2,threads=1 \
    -drive "file=$WORK/disk,if=none,discard=on,id=boot-disk" \
    -device virtio-blk-pci,drive=boot-disk,bootindex=1 \
    -boot order=c,splash-time=0,menu=on \
    -drive "id=cdrom0,if=none,format=raw,readonly=on,file=$WORK/cidata.iso" \
    -device virtio-scsi,id=scsi0 -device scsi-cd,bus=scsi0.0,drive=cdrom0 \
    -kernel "$IMAGE_DIR/vmlinuz" -initrd "$IMAGE_DIR/initrd.img" -append "$cmdline" \
    -netdev "user,id=net0,net=192.168.5.0/24,dhcpstart=192.168.5.15,hostfwd=tcp:127.0.0.1:$port-:22" \
    -device "virtio-net-pci,netdev=net0,mac=$GUEST_MAC" \
    -device virtio-rng-pci \
    -display none -vga none -parallel none \
    -serial "file:$WORK/serial.log" \
    -qmp "unix:$WORK/qmp.sock,server=on,wait=off" \
    -name lima-smoke -pidfile "$WORK/qemu.pid" \
    >"$WORK/qemu.log" 2>&1 &
  QEMU_PID=$!
}

guest() {
  ssh -q -i "$WORK/id_ed25519" -p "$PORT" \
    -o BatchMode=yes -o ConnectTimeout=5 -o StrictHostKeyChecking=no \
    -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR \
    "$GUEST_USER@127.0.0.1" "$@"
}

now_ms() { date +%s%3N; }

# Seconds since a now_ms timestamp, with one decimal.
elapsed_since() {
  local ms=$(($(now_ms) - $1))
  printf '%d.%d' $((ms / 1000)) $((ms % 1000 / 100))
}

wait_for_ssh() {
  local started="$1"
  until guest true 2>/dev/null; do
    kill -0 "$QEMU_PID" 2>/dev/null || { cat "$WORK/qemu.log" >&2; die "QEMU exited early"; }
    (($(now_ms) - started < TIMEOUT * 1000)) || { tail -n 40 "$WORK/serial.log" >&2; die "no SSH after ${TIMEOUT}s"; }
    sleep 1
  done
}

# ---------------------------------------------------------------------------
# Checks (each prints what it found; failures are counted, not fatal)

FAILURES=0
check() {
  local name="$1"
  shift
  if "$@"; then
    log "ok    $name"
  else
    log "FAIL  $name"
    FAILURES=$((FAILURES + 1))
  fi
}

root_fs_grown() {
  local kib
  kib="$(guest df -k --output=size / | tail -n1 | tr -d ' ')"
  log "      / is ${kib} KiB"
  ((kib > 3 * 1024 * 1024))
}

run_checks() {
  log "uname: $(guest uname -a)"
  check "cloud-init finished without errors" guest cloud-init status --wait
  check "cidata per-boot script ran (boot-done = instance id)" \
    guest 'test "$(cat /run/lima-boot-done)" = "$(cat /var/lib/cloud/data/instance-id)"'
  check "eth0 has 192.168.5.15 by DHCP" guest 'ip -4 -o addr show dev eth0 | grep -q "inet 192.168.5.15/"'
  check "default route via 192.168.5.2" guest 'ip route show default | grep -q "via 192.168.5.2 dev eth0"'
  check "resolv.conf uses systemd-resolved with 192.168.5.3" guest 'resolvectl dns eth0 | grep -q 192.168.5.3'
  check "root filesystem grown to the 4G disk" root_fs_grown
  check "passwordless sudo, sudo -iu" guest "sudo -n true && sudo -iu $GUEST_USER whoami | grep -qx $GUEST_USER"
  check "user lingering (systemd user session)" \
    guest "sudo loginctl enable-linger $GUEST_USER && timeout 30 sh -c 'until test -S /run/user/1000/systemd/private; do sleep 1; done'"
  check "tools: bash sshfs fusermount3 rsync iptables growpart resize2fs" \
    guest 'command -v bash sshfs fusermount3 rsync growpart >/dev/null && sudo sh -c "command -v iptables resize2fs >/dev/null"'
  check "fuse module loads" guest 'sudo modprobe fuse && test -c /dev/fuse'
  check "/etc/environment exists" guest 'test -f /etc/environment'
  check "system state running" guest 'state=$(systemctl is-system-running --wait); echo "      state: $state" >&2; test "$state" = running'
  guest 'systemd-analyze 2>/dev/null | head -n1' | sed 's/^/[smoke]       /' >&2 || true
}

# With --keep: what a human needs to see why a boot was slow or a check failed.
collect_diagnostics() {
  guest 'sudo cloud-init schema --system' >"$WORK/guest-schema.txt" 2>&1 || true
  guest 'systemd-analyze critical-chain; systemd-analyze blame' >"$WORK/guest-analyze.txt" 2>&1 || true
  guest 'sudo journalctl -b --no-pager' >"$WORK/guest-journal.txt" 2>&1 || true
  guest 'sudo cat /var/log/cloud-init.log' >"$WORK/guest-cloud-init.log" 2>&1 || true
}

power_off() {
  guest 'sudo systemctl poweroff' 2>/dev/null || true
  local deadline=$((SECONDS + 60))
  while kill -0 "$QEMU_PID" 2>/dev/null && ((SECONDS < deadline)); do sleep 1; done
  if kill -0 "$QEMU_PID" 2>/dev/null; then
    log "guest did not power off within 60s; killing QEMU"
    return 1
  fi
  wait "$QEMU_PID" 2>/dev/null || true
  QEMU_PID=""
  log "guest powered off"
}

main() {
  case "${1:-}" in
    --keep) KEEP=1 ;;
    "") ;;
    *) die "usage: smoke.sh [--keep]" ;;
  esac
  trap cleanup EXIT
  prepare
  PORT="${SMOKE_SSH_PORT:-$(pick_free_port)}"
  local cmdline started ssh_seconds
  cmdline="${SMOKE_CMDLINE:-$(template_cmdline)}"
  log "booting $IMAGE_DIR (TCG, ${MEMORY} MiB, ssh on 127.0.0.1:$PORT, cmdline: $cmdline)"
  started="$(now_ms)"
  start_qemu "$PORT" "$cmdline"
  wait_for_ssh "$started"
  ssh_seconds="$(elapsed_since "$started")"
  log "SSH ready after ${ssh_seconds}s"
  run_checks
  log "boot to SSH: ${ssh_seconds}s; boot to checks done: $(elapsed_since "$started")s"
  if ((KEEP)); then collect_diagnostics; fi
  check "guest powers off (systemctl poweroff)" power_off
  ((FAILURES == 0)) || die "$FAILURES check(s) failed (serial log: $WORK/serial.log; rerun with --keep)"
  log "all checks passed"
}

main "$@"
