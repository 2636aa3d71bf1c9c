#!/bin/sh
# The guest home is /home/<user>.guest since Lima 2.1 and was /home/<user>.linux before:
# whichever exists, make the other name a relative symlink to it.
set -eu

base="/home/$LIMA_CIDATA_USER"
if [ -d "$base.guest" ] && [ ! -e "$base.linux" ] && [ ! -L "$base.linux" ]; then
	ln -s "$LIMA_CIDATA_USER.guest" "$base.linux"
fi
if [ -d "$base.linux" ] && [ ! -e "$base.guest" ] && [ ! -L "$base.guest" ]; then
	ln -s "$LIMA_CIDATA_USER.linux" "$base.guest"
fi
