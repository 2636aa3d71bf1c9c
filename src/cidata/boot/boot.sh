#!/bin/sh
# lima-ts guest boot: run from the cidata volume (LIMA_CIDATA_MNT) by the cloud-init per-boot
# script on every boot. Loads lima.env/param.env/etc_environment, runs the boot modules, then the
# provisioning files, and finally writes the instance ID to $RUN/lima-boot-done, which the host
# agent waits for. Failing modules or provisioners are reported and make the exit code 1; a failing
# module (or boot.sh stopping early) also leaves its exit status and error output in
# $RUN/lima-boot-failed/<module>.log, so that the host agent fails a requirement that module
# should have met at once, with the reason, instead of waiting for it until it times out; failing
# provisioning scripts leave provision.<mode>-<NNNNNNNN>.log there, which `limactl start` shows.
set -eu

log() { echo "LIMA $(date -Iseconds)| $*"; }
warn() { log "WARNING: $*"; }

# export_lines FILE: export every non-empty K=V line.
export_lines() {
	while IFS= read -r line || [ -n "$line" ]; do
		# shellcheck disable=SC2163 # the line is the assignment
		[ -z "$line" ] || export "$line"
	done <"$1"
}

# pam_env_line LINE: a line of /etc/environment as pam_env reads it: leading blanks and an
# "export " prefix dropped, everything from '#' on dropped, a quote right after '=' dropped
# together with a trailing quote (the two need not match; the trailing one may be missing).
pam_env_line() {
	printf '%s\n' "$1" | sed -E "s/^[[:blank:]]*(export )?//; s/#.*//; s/^([^=]+=)[\"'](.*[^\"'])?[\"']?\$/\\1\\2/"
}

export_pam_env() {
	# Plain `read` also trims trailing blanks, as pam_env does.
	while read -r raw || [ -n "$raw" ]; do
		line="$(pam_env_line "$raw")"
		# shellcheck disable=SC2163
		[ -z "$line" ] || export "$line"
	done <"$1"
}

# record_failure STEP STATUS ERROR_FILE: the failure report of one boot step for the host agent.
record_failure() {
	{
		echo "$1 failed with exit status $2; the last lines of its error output:"
		tail -n 20 "$3" 2>/dev/null | sed 's/^/  /'
	} >"$LIMA_BOOT_FAILED/$1.log"
}

# record_provision_failure FILE STATUS: the report the host agent passes on to `limactl start`.
record_provision_failure() {
	kind="$(basename "$(dirname "$1")")"
	echo "$kind/$(basename "$1") failed with exit status $2" >"$LIMA_BOOT_FAILED/$kind-$(basename "$1").log"
}

run_modules() {
	[ -d "$1" ] || return 0
	for module in "$1"/*.sh; do
		[ -e "$module" ] || continue
		log "Executing $module"
		# stderr goes through a file (copied to the log afterwards), not a pipe: a daemon a module
		# leaves running would hold a pipe open and hang the boot.
		errors="$(mktemp)"
		status=0
		"$module" 2>"$errors" || status=$?
		cat "$errors" >&2
		if [ "$status" != 0 ]; then
			warn "Failed to execute $module"
			record_failure "$(basename "$module")" "$status" "$errors"
			CODE=1
		fi
		rm -f "$errors"
	done
}

# EXIT trap: boot.sh stopping before its end (set -e) is a failure of every step not run yet.
on_exit() {
	[ "$BOOT_FINISHED" = 1 ] || echo "boot.sh stopped early with exit status $1 (see /var/log/cloud-init-output.log)" >"$LIMA_BOOT_FAILED/boot.sh.log"
}

# Value of the variable named $1 (POSIX sh has no ${!name}).
value_of() {
	eval "printf '%s' \"\${$1:-}\""
}

# run_as USER CMD...: a login-shell command as USER.
run_as() {
	user="$1"
	shift
	sudo -iu "$user" "$@"
}

provision_data() {
	for f in "$LIMA_CIDATA_MNT"/provision.data/*; do
		[ -e "$f" ] || continue
		id="$(basename "$f")"
		target="$(value_of "LIMA_CIDATA_DATAFILE_${id}_PATH")"
		owner="$(value_of "LIMA_CIDATA_DATAFILE_${id}_OWNER")"
		if [ -e "$target" ] && [ "$(value_of "LIMA_CIDATA_DATAFILE_${id}_OVERWRITE")" = false ]; then
			log "Not overwriting $target"
			continue
		fi
		log "Copying $f to $target"
		if ! run_as "${owner%%:*}" mkdir -p "$(dirname "$target")"; then
			warn "Could not create the directory of $target as ${owner%%:*}; creating it as root"
			mkdir -p "$(dirname "$target")"
		fi
		cp "$f" "$target"
		chown "$owner" "$target"
		chmod "$(value_of "LIMA_CIDATA_DATAFILE_${id}_PERMISSIONS")" "$target"
	done
}

# yq_format_for PATH: the output format yq cannot infer for a file that does not exist yet.
yq_format_for() {
	case "$1" in
	*.csv) echo csv ;;
	*.ini) echo ini ;;
	*.json) echo json ;;
	*.properties) echo properties ;;
	*.toml) echo toml ;;
	*.tsv) echo tsv ;;
	*.xml) echo xml ;;
	*.yaml | *.yml) echo yaml ;;
	*)
		warn "Cannot determine file type for $1, using yaml format"
		echo yaml
		;;
	esac
}

# One yq provision; returns non-zero on failure.
provision_yq_file() {
	f="$1"
	id="$(basename "$f")"
	format="$(value_of "LIMA_CIDATA_YQ_PROVISION_${id}_FORMAT")"
	owner="$(value_of "LIMA_CIDATA_YQ_PROVISION_${id}_OWNER")"
	target="$(value_of "LIMA_CIDATA_YQ_PROVISION_${id}_PATH")"
	user="${owner%%:*}"
	yq="$LIMA_CIDATA_MNT/lima-guestagent"
	run_as "$user" mkdir -p "$(dirname "$target")" || {
		warn "Failed to create directory for $target (as user $user)"
		return 1
	}
	if [ -f "$target" ]; then
		log "Updating $target"
		# Editing in place keeps the owner; the user must be allowed to write the file.
		run_as "$user" test -w "$target" || {
			warn "File $target is not writable by user $user"
			return 1
		}
		"$yq" yq --inplace --from-file "$f" --input-format "$format" --output-format "$format" "$target" || {
			warn "Failed to update $target"
			return 1
		}
	else
		[ "$format" != auto ] || format="$(yq_format_for "$target")"
		log "Creating $target"
		"$yq" yq --null-input --from-file "$f" --output-format "$format" | run_as "$user" tee "$target" >/dev/null || {
			warn "Failed to create $target (as user $user)"
			return 1
		}
	fi
	run_as "$user" chown "$owner" "$target" || {
		warn "Failed to set owner for $target (as user $user)"
		return 1
	}
	run_as "$user" chmod "$(value_of "LIMA_CIDATA_YQ_PROVISION_${id}_PERMISSIONS")" "$target" || {
		warn "Failed to set permissions for $target (as user $user)"
		return 1
	}
}

provision_yq() {
	if [ ! -x "$LIMA_CIDATA_MNT/lima-guestagent" ]; then
		warn "yq provisioning needs lima-guestagent, which is not on the cidata volume; skipping it"
		CODE=1
		return 0
	fi
	for f in "$LIMA_CIDATA_MNT"/provision.yq/*; do
		[ -e "$f" ] || continue
		provision_yq_file "$f" || {
			record_provision_failure "$f" 1
			CODE=1
		}
	done
}

provision_system() {
	for f in "$LIMA_CIDATA_MNT"/provision.system/*; do
		[ -e "$f" ] || continue
		log "Executing $f"
		status=0
		"$f" || status=$?
		if [ "$status" != 0 ]; then
			warn "Failed to execute $f"
			record_provision_failure "$f" "$status"
			CODE=1
		fi
	done
}

provision_user() {
	script="$LIMA_CIDATA_HOME/.lima-user-script"
	if [ "$OS_NAME" = Linux ] && [ ! -f /sbin/openrc-run ]; then
		# The user's systemd instance (started by linger) must be up for `systemctl --user`.
		until [ -e "/run/user/$LIMA_CIDATA_UID/systemd/private" ]; do sleep 3; done
	fi
	keep_env="$(grep -o '^PARAM_[^=]*' "$LIMA_CIDATA_MNT/param.env" | paste -sd , -)" || true
	runtime_dir=""
	[ "$OS_NAME" != Linux ] || runtime_dir="XDG_RUNTIME_DIR=/run/user/$LIMA_CIDATA_UID"
	for f in "$LIMA_CIDATA_MNT"/provision.user/*; do
		[ -e "$f" ] || continue
		log "Executing $f (as user $LIMA_CIDATA_USER)"
		cp "$f" "$script"
		chown "$LIMA_CIDATA_USER" "$script"
		chmod 755 "$script"
		status=0
		# shellcheck disable=SC2086 # runtime_dir is empty or one word
		sudo -iu "$LIMA_CIDATA_USER" "--preserve-env=$keep_env" $runtime_dir "$script" || status=$?
		if [ "$status" != 0 ]; then
			warn "Failed to execute $f (as user $LIMA_CIDATA_USER)"
			record_provision_failure "$f" "$status"
			CODE=1
		fi
		rm -f "$script"
	done
}

# Without passwordless sudo the user needs a password: a random one, set once per home.
set_random_password() {
	marker="$LIMA_CIDATA_HOME/.lima-password-set"
	[ ! -f "$marker" ] || return 0
	password="$(head -c 8 /dev/urandom | od -An -tx1 | tr -d ' \n')"
	if command -v chpasswd >/dev/null 2>&1; then
		echo "$LIMA_CIDATA_USER:$password" | chpasswd || { warn "failed to set password via chpasswd"; return 1; }
	elif command -v pw >/dev/null 2>&1; then
		echo "$password" | pw usermod "$LIMA_CIDATA_USER" -h 0 || { warn "failed to set password via pw"; return 1; }
	else
		warn "no supported tool to set password found"
		return 1
	fi
	(umask 077 && printf '%s\n' "$password" >"$LIMA_CIDATA_HOME/password")
	touch "$marker"
	chown "$LIMA_CIDATA_USER" "$LIMA_CIDATA_HOME/password" "$marker"
}

# Sourced by the tests to exercise the helpers above without running the boot.
[ "${LIMA_BOOT_SH_LIB:-}" != 1 ] || return 0

OS_NAME="$(uname -s)"
RUN=/run
[ "$OS_NAME" = Linux ] || RUN=/var/run
rm -f "$RUN/lima-boot-done"

# Boot modules that reboot the guest create this file first; it suppresses lima-boot-done.
LIMA_REBOOT_REQUIRED="$RUN/lima-reboot-required"
export LIMA_REBOOT_REQUIRED
rm -f "$LIMA_REBOOT_REQUIRED"

export_lines "$LIMA_CIDATA_MNT/lima.env"
export_lines "$LIMA_CIDATA_MNT/param.env"
export_pam_env "$LIMA_CIDATA_MNT/etc_environment"

# The IID tells this boot's failure reports from those of an earlier one (/var/run may persist).
LIMA_BOOT_FAILED="$RUN/lima-boot-failed"
BOOT_FINISHED=0
rm -rf "$LIMA_BOOT_FAILED"
mkdir -p "$LIMA_BOOT_FAILED"
echo "$LIMA_CIDATA_IID" >"$LIMA_BOOT_FAILED/iid"
trap 'on_exit $?' EXIT

PATH="$LIMA_CIDATA_MNT/util:$PATH"
export PATH

CODE=0

# Essential modules run in plain mode too.
run_modules "$LIMA_CIDATA_MNT/boot.essential.$OS_NAME"
if [ "${LIMA_CIDATA_PLAIN:-}" = 1 ]; then
	log "Plain mode: skipping the non-essential boot scripts; provisioning still runs, the guest agent does not."
else
	run_modules "$LIMA_CIDATA_MNT/boot.$OS_NAME"
fi

[ ! -d "$LIMA_CIDATA_MNT/provision.data" ] || provision_data
[ ! -d "$LIMA_CIDATA_MNT/provision.yq" ] || provision_yq
[ ! -d "$LIMA_CIDATA_MNT/provision.system" ] || provision_system
[ ! -d "$LIMA_CIDATA_MNT/provision.user" ] || provision_user

if [ "$OS_NAME" != Darwin ] && [ "${LIMA_CIDATA_PASSWORDLESS_SUDO:-}" != 1 ]; then
	set_random_password || CODE=1
fi

# The IID differs on every start, so a value left from an earlier boot never matches.
if [ -e "$LIMA_REBOOT_REQUIRED" ]; then
	log "A boot script requested a reboot: not signalling boot completion"
else
	echo "$LIMA_CIDATA_IID" >"$RUN/lima-boot-done"
fi

log "Exiting with code $CODE"
BOOT_FINISHED=1
exit "$CODE"
