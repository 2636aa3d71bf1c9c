#!/bin/sh
# compare_version.sh A OP B: compares two version strings with `sort -V` semantics.
# OP is one of -eq -ne -lt -le -gt -ge. Exit status 0 when the relation holds, 1 when it
# does not, 2 on a usage error.
set -eu

if [ "$#" -ne 3 ]; then
	echo "usage: $0 VERSION-A OP VERSION-B (OP: -eq -ne -lt -le -gt -ge)" >&2
	exit 2
fi
a="$1" op="$2" b="$3"

# The larger of the two under version ordering.
larger="$(printf '%s\n%s\n' "$a" "$b" | sort -V | tail -n 1)"

case "$op" in
-eq) [ "$a" = "$b" ] ;;
-ne) [ "$a" != "$b" ] ;;
-ge) [ "$larger" = "$a" ] ;;
-gt) [ "$larger" = "$a" ] && [ "$a" != "$b" ] ;;
-le) [ "$larger" = "$b" ] ;;
-lt) [ "$larger" = "$b" ] && [ "$a" != "$b" ] ;;
*)
	echo "unknown operator \"$op\"" >&2
	exit 2
	;;
esac
