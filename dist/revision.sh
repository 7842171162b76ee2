#!/bin/sh
# The git revision for `rtcprobe --version`: from git in a checkout, else from the .revision
# file that `./run package` writes into the tree it builds from.
cd "$(dirname "$0")/.." || exit 1
git describe --always --dirty --abbrev=12 2>/dev/null && exit 0
[ -s .revision ] && exec cat .revision
exit 1
