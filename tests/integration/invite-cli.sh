#!/bin/bash
# `rtcprobe invite`: the link a tester opens. Checked with an independent
# reader written here (Python's standard library: base64url, HMAC-SHA-256 over
# "rtcprobe-invite\n" + payload, keyed with the reflector's secret file):
#   - one line, <public_url>/test#<invite>, a trailing '/' of public_url dropped
#   - the payload carries the label, the use count and an expiry --ttl ahead
#   - the secret is nowhere in the output
#   - every usage or configuration mistake: exit 2 and one line on stderr
#     naming the option or key, nothing on stdout
# No network traffic. Env: RTCPROBE = the built binary. Exit 0 pass, 1 fail.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/../lab/lib.sh"

RTCPROBE=${RTCPROBE:-$HERE/../../build/rtcprobe}
lab_require python3
lab_init
W=$(lab_tmpdir)
printf '0123456789abcdef-invite-secret\n' >"$W/secret"
chmod 600 "$W/secret"
write_config() { # file, public_url line
  printf '[auth]\nsecret_file = %s\n[tester]\n%s\nvoice_duration = 10\n' "$W/secret" "$2" >"$1"
}
write_config "$W/ok.ini" "public_url = https://api.example.org/rtcprobe/"
write_config "$W/nourl.ini" ""
write_config "$W/badurl.ini" "public_url = https://api.example.org/rtcprobe?x=1"

cat >"$W/read.py" <<'PY'
import base64, hashlib, hmac, sys, time
link, secret = sys.argv[1], open(sys.argv[2], 'rb').read().strip()
label, uses, ttl = sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
prefix = 'https://api.example.org/rtcprobe/test#'
assert link.startswith(prefix), link
p64, m64 = link[len(prefix):].split('.')
dec = lambda s: base64.urlsafe_b64decode(s + '=' * (-len(s) % 4))
payload = dec(p64)
want = hmac.new(secret, b'rtcprobe-invite\n' + payload, hashlib.sha256).digest()
assert hmac.compare_digest(want, dec(m64)), 'MAC'
version, expiry, n, ident, got_label = payload.decode().split(':', 4)
assert version == '1' and int(n) == uses and got_label == label, payload
assert len(ident) == 16 and all(c in '0123456789abcdef' for c in ident), ident
assert abs(int(expiry) - (time.time() + ttl)) < 5, (expiry, ttl)
print('verified')
PY

out=$("$RTCPROBE" invite --config "$W/ok.ini" --label "alice, hotel wifi" --uses 3 --ttl 2h \
  2>"$W/err") || true
lab_check "one line on stdout" test "$(printf '%s\n' "$out" | wc -l)" = 1
lab_check "the link verifies with the secret (label, uses, expiry 2 h ahead)" \
  test "$(python3 "$W/read.py" "$out" "$W/secret" "alice, hotel wifi" 3 7200 2>&1)" = verified
lab_check "nothing on stderr" test ! -s "$W/err"
lab_check "the secret is not in the link" \
  bash -c '! grep -qF "$(cat "$1")" <<<"$2"' _ "$W/secret" "$out"
out=$("$RTCPROBE" invite --config "$W/ok.ini" --label bob)
lab_check "defaults: one use, one day" \
  test "$(python3 "$W/read.py" "$out" "$W/secret" bob 1 86400 2>&1)" = verified

refused() { # what, expected stderr text, args...
  local what=$1 want=$2 rc=0
  shift 2
  "$RTCPROBE" invite "$@" >"$W/out" 2>"$W/err" || rc=$?
  lab_check "$what: exit 2" test "$rc" = 2
  lab_check "$what: one line naming it ($want)" \
    bash -c '[[ $(wc -l <"$1") == 1 ]] && grep -qF -- "$2" "$1"' _ "$W/err" "$want"
  lab_check "$what: nothing on stdout" test ! -s "$W/out"
}
refused "no label" "give --label TEXT" --config "$W/ok.ini"
refused "a label with a newline" "give --label TEXT" --config "$W/ok.ini" --label $'a\nb'
refused "a week as 1w" "--ttl \"1w\"" --config "$W/ok.ini" --label x --ttl 1w
refused "a ttl past 30 days" "--ttl \"31d\"" --config "$W/ok.ini" --label x --ttl 31d
refused "zero uses" "--uses must be between 1 and 1000" --config "$W/ok.ini" --label x --uses 0
refused "no config" "give --config FILE" --label x
refused "no public_url" "[tester] public_url: invites need" --config "$W/nourl.ini" --label x
refused "a public_url with a query" "[tester] public_url =" --config "$W/badurl.ini" --label x
refused "a missing config file" "missing.ini" --config "$W/missing.ini" --label x
lab_finish
