#!/usr/bin/env bash
# Builds a stand-in for nerdctl-full-VERSION-linux-amd64.tar.gz (the archive Lima's
# 40-install-containerd.sh unpacks into /usr/local) from Debian 12 packages, for machines that
# cannot download the real one: containerd, ctr, the runc shim, runc, rootlesskit, slirp4netns and
# the CNI plugins are Debian's; nerdctl, BuildKit, stargz and the rootless scripts are not packaged
# in Debian 12, so the files in stand-ins/ take their place (see stand-ins/share/doc/nerdctl-full/README.md).
#
# Usage: scripts/nerdctl-archive/build.sh [--force]
# Output: ${LIMA_TS_NERDCTL_CACHE:-/var/cache/lima-ts/nerdctl-full}/
#         nerdctl-full-debian12-linux-amd64.tar.gz, its .sha256 (the bare hex digest), recipe.sha256
# Building needs root the first time (the cache is system-wide); the result is world-readable.
set -euo pipefail

SELF="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")"
readonly SELF
readonly SCRIPT_DIR="${SELF%/*}"
readonly STAND_INS="$SCRIPT_DIR/stand-ins"
readonly CACHE_ROOT="${LIMA_TS_NERDCTL_CACHE:-/var/cache/lima-ts/nerdctl-full}"
readonly ARCHIVE="$CACHE_ROOT/nerdctl-full-debian12-linux-amd64.tar.gz"
# Debian 12 packages whose files go into the archive (libslirp0 and libglib2.0-0 for
# slirp4netns, which nerdctl-full ships statically linked).
readonly PACKAGES=(containerd runc rootlesskit slirp4netns containernetworking-plugins libslirp0 libglib2.0-0)

log() { printf '[nerdctl-archive] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

recipe_hash() {
  { cat "$SELF"; printf '%s\n' "${PACKAGES[@]}"; find "$STAND_INS" -type f | sort | xargs cat; } | sha256sum | cut -d' ' -f1
}

is_up_to_date() {
  [[ -f "$ARCHIVE" && -f "$ARCHIVE.sha256" && -f "$CACHE_ROOT/recipe.sha256" ]] &&
    [[ "$(<"$CACHE_ROOT/recipe.sha256")" == "$1" ]]
}

# apt-get download needs package lists; a fresh machine may have none yet.
download_debs() {
  local dir="$1"
  (cd "$dir" && apt-get download -qq "${PACKAGES[@]}" 2>/dev/null) && return 0
  log "apt-get download failed; updating the package lists once"
  apt-get update -qq
  (cd "$dir" && apt-get download -qq "${PACKAGES[@]}")
}

# Lays the packages' files out as nerdctl-full does: bin/, libexec/cni/, lib/systemd/system/, share/.
assemble() {
  local debs="$1" root="$2" x="$1/x" deb
  for deb in "$debs"/*.deb; do dpkg-deb -x "$deb" "$x"; done
  mkdir -p "$root/bin" "$root/libexec/cni" "$root/libexec/lima-ts" "$root/lib/lima-ts" "$root/lib/systemd/system"
  cp -a "$x"/usr/bin/{containerd,ctr,containerd-shim-runc-v2,rootlesskit,rootlessctl} "$x/usr/sbin/runc" "$root/bin/"
  cp -a "$x"/usr/lib/cni/* "$root/libexec/cni/"
  # slirp4netns is dynamically linked in Debian: its libraries go beside it, and bin/slirp4netns
  # (a stand-in wrapper) points the loader at them.
  cp -a "$x/usr/bin/slirp4netns" "$root/libexec/lima-ts/"
  cp -a "$x"/usr/lib/x86_64-linux-gnu/libslirp.so.0* "$x"/usr/lib/x86_64-linux-gnu/libglib-2.0.so.0* "$root/lib/lima-ts/"
  sed 's|^ExecStart=/usr/bin/containerd$|ExecStart=/usr/local/bin/containerd|' \
    "$x/lib/systemd/system/containerd.service" >"$root/lib/systemd/system/containerd.service"
  grep -q '^ExecStart=/usr/local/bin/containerd$' "$root/lib/systemd/system/containerd.service" ||
    die "Debian's containerd.service no longer starts /usr/bin/containerd; update $SELF"
  cp -a "$STAND_INS"/. "$root/"
  chmod 0755 "$root"/bin/* "$root"/libexec/lima-ts/*
  for deb in "$debs"/*.deb; do
    printf '%s %s\n' "$(dpkg-deb -f "$deb" Package)" "$(dpkg-deb -f "$deb" Version)"
  done >"$root/share/doc/nerdctl-full/debian-packages.txt"
}

build() {
  local force="$1" recipe work
  recipe="$(recipe_hash)"
  if [[ "$force" != 1 ]] && is_up_to_date "$recipe"; then
    log "up to date: $ARCHIVE"
    return 0
  fi
  [[ -w "$(dirname "$CACHE_ROOT")" || -w "$CACHE_ROOT" ]] || ((EUID == 0)) ||
    die "$ARCHIVE is missing or out of date; build it as root: sudo $SELF (or set LIMA_TS_NERDCTL_CACHE to a directory of yours)"
  umask 022
  mkdir -p "$CACHE_ROOT"
  exec 9>"$CACHE_ROOT/.lock"
  flock 9
  if [[ "$force" != 1 ]] && is_up_to_date "$recipe"; then
    log "up to date: $ARCHIVE"
    return 0
  fi
  work="$(mktemp -d "$CACHE_ROOT/.build.XXXXXX")"
  # shellcheck disable=SC2064 # expand work now
  trap "rm -rf '$work'" EXIT
  # apt's _apt user must be able to write the downloads.
  chmod 0755 "$work"
  mkdir -m 0777 "$work/debs"
  SECONDS=0
  download_debs "$work/debs"
  assemble "$work/debs" "$work/root"
  # Members without a leading "./": the boot script extracts `bin/nerdctl` by name.
  tar -C "$work/root" --owner=0 --group=0 --numeric-owner --sort=name -czf "$work/archive.tar.gz" bin lib libexec share
  sha256sum "$work/archive.tar.gz" | cut -d' ' -f1 >"$work/archive.sha256"
  mv -f "$work/archive.tar.gz" "$ARCHIVE"
  mv -f "$work/archive.sha256" "$ARCHIVE.sha256"
  echo "$recipe" >"$CACHE_ROOT/recipe.sha256"
  log "built $ARCHIVE ($(du -h --apparent-size "$ARCHIVE" | cut -f1), sha256:$(<"$ARCHIVE.sha256")) in ${SECONDS}s"
}

case "${1:-}" in
  --force) build 1 ;;
  "") build 0 ;;
  -h | --help) sed -n '2,12p' "$SELF" | sed 's/^# \{0,1\}//' ;;
  *) die "unknown argument: $1 (usage: build.sh [--force])" ;;
esac
