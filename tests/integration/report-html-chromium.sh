#!/bin/bash
# The HTML report in a real browser. Headless Chromium opens the fixed
# report's golden page and the page of a real `rtcprobe --format html` run
# on loopback at a phone's size (412 x 900). Each screenshot must show a
# rendered page (many colours, enough ink, the status colours of the inline
# style), and the browser's net log must hold no request made by the page.
#
# Chromium itself asks for updates, time and accounts whatever the flags;
# those carry the initiator "not an origin" and are told apart from the
# page's own requests (initiator "null" for a file:// page). A canary page
# that does load an image and a CSS background first proves that this
# detector sees page requests in the installed Chromium's net log. Every
# host name resolves to nothing (--host-resolver-rules), so no request of
# either kind can leave the machine.
# Env: RTCPROBE = the built binary. Exit 0 pass, 1 fail, 77 skip.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/../lab/lib.sh"

RTCPROBE=${RTCPROBE:-$HERE/../../build/rtcprobe}
GOLDEN=$HERE/../data/golden/report.html
HOSTILE=$HERE/../data/golden/report-hostile.html

# shoot PAGE PNG NETLOG: a phone-sized screenshot of file://PAGE.
shoot() {
  local page=$1 png=$2 netlog=$3 profile rc
  profile=$(mktemp -d "$W/profile.XXXXXX")
  set +e
  timeout --kill-after=5 90 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic \
    --no-first-run --disable-background-networking --disable-component-update --disable-sync \
    --disable-default-apps --disable-domain-reliability --no-pings \
    --host-resolver-rules="MAP * ~NOTFOUND" --user-data-dir="$profile" \
    --log-net-log="$netlog" --screenshot="$png" --window-size=412,900 \
    "file://$page" >"$png.log" 2>&1
  rc=$?
  set -e
  printf '# chromium --screenshot %s file://%s -> exit %d\n' "$(basename "$png")" "$page" "$rc"
  [[ $rc -eq 0 ]] || sed 's/^/#   /' "$png.log" | tail -n 5
  return 0
}

# URLs that a page asked for (not the browser's own), one a line.
page_requests() {
  jq -r '(.constants.logEventTypes.URL_REQUEST_START_JOB) as $t
         | .events[] | select(.type == $t and .params.url? != null
                              and .params.initiator != "not an origin")
         | .params.url' "$1" | grep -v '^file://' || true
}

# "WIDTH HEIGHT COLOURS INK RED GREEN" for a PNG: distinct colours, the share
# of pixels that differ from the top-left one, and whether the fail red and
# the pass green of the page's light theme occur. Decoded with zlib only.
png_stats() {
  python3 - "$1" <<'EOF'
import struct, sys, zlib
data = open(sys.argv[1], 'rb').read()
assert data[:8] == b'\x89PNG\r\n\x1a\n', 'not a PNG'
pos, idat = 8, b''
while pos < len(data):
    n, kind = struct.unpack('>I4s', data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + n]
    pos += 12 + n
    if kind == b'IHDR':
        w, h, depth, ctype, _, _, interlace = struct.unpack('>IIBBBBB', body)
    elif kind == b'IDAT':
        idat += body
assert depth == 8 and interlace == 0 and ctype in (2, 6), 'unexpected PNG layout'
bpp = 3 if ctype == 2 else 4
raw, stride = zlib.decompress(idat), w * bpp
prev, colours, ink, bg = bytearray(stride), set(), 0, None
for y in range(h):
    off = y * (stride + 1)
    f, line = raw[off], bytearray(raw[off + 1:off + 1 + stride])
    for i in range(stride):
        a = line[i - bpp] if i >= bpp else 0
        b = prev[i]
        c = prev[i - bpp] if i >= bpp else 0
        if f == 1: line[i] = (line[i] + a) & 255
        elif f == 2: line[i] = (line[i] + b) & 255
        elif f == 3: line[i] = (line[i] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    for x in range(0, stride, bpp):
        px = bytes(line[x:x + 3])
        if bg is None: bg = px
        colours.add(px)
        ink += px != bg
    prev = line
red = bytes((0xd1, 0x24, 0x2f)) in colours
green = bytes((0x1a, 0x7f, 0x37)) in colours
print(w, h, len(colours), '%.3f' % (ink / (w * h)), int(red), int(green))
EOF
}

# check_page WHAT PAGE [COLOURS]: screenshot PAGE and assert on it; COLOURS
# "no" when the page need not show both a pass and a fail.
check_page() {
  local what=$1 page=$2 want_colours=${3:-yes} png net stats w h colours ink red green reqs
  png=$W/$what.png
  net=$W/$what.netlog.json
  shoot "$page" "$png" "$net"
  lab_check "$what: screenshot written" test -s "$png"
  [[ -s $png ]] || return 0
  stats=$(png_stats "$png")
  read -r w h colours ink red green <<<"$stats"
  printf '# %s: %sx%s, %s colours, %s of the pixels inked, fail red %s, pass green %s\n' \
    "$what" "$w" "$h" "$colours" "$ink" "$red" "$green"
  lab_check "$what: phone-sized (412x900)" test "$w" -eq 412 -a "$h" -eq 900
  lab_check "$what: not blank (>= 40 colours)" test "$colours" -ge 40
  lab_check "$what: text and badges drawn (>= 3 % of pixels inked)" \
    python3 -c "import sys; sys.exit(not float('$ink') >= 0.03)"
  if [[ $want_colours == yes ]]; then
    lab_check "$what: the inline style applied (status colours present)" test "$red" -eq 1 -a "$green" -eq 1
  else
    lab_check "$what: the inline style applied (fail colour present)" test "$red" -eq 1
  fi
  lab_check "$what: net log readable" jq -e '.events | length > 0' "$net" >/dev/null
  reqs=$(page_requests "$net")
  [[ -z $reqs ]] || sed 's/^/#   page requested: /' <<<"$reqs"
  lab_check "$what: the page requested nothing" test -z "$reqs"
}

check_canary() {
  local page=$W/canary.html png=$W/canary.png net=$W/canary.netlog.json reqs
  echo "== canary: a page that loads external URLs must be caught"
  cat >"$page" <<'EOF'
<!DOCTYPE html><html><head><style>body{background:url(http://canary-css.invalid/bg.png)}</style></head>
<body><p>canary</p><img src="http://canary-img.invalid/x.png" alt=""></body></html>
EOF
  shoot "$page" "$png" "$net"
  reqs=$(page_requests "$net")
  sed 's/^/#   page requested: /' <<<"$reqs"
  lab_check "canary: the image request is seen" grep -q '^http://canary-img.invalid/x.png$' <<<"$reqs"
  lab_check "canary: the CSS background request is seen" grep -q '^http://canary-css.invalid/bg.png$' <<<"$reqs"
}

check_golden() {
  echo "== the fixed report's golden page"
  check_page golden "$GOLDEN"
  if command -v xmllint >/dev/null 2>&1; then
    lab_check "golden: well-formed (xmllint --noout)" xmllint --noout "$GOLDEN"
  fi
}

check_hostile() {
  echo "== the hostile report's golden page (markup and URLs in every string)"
  check_page hostile "$HOSTILE" no
}

check_real_run() {
  local page=$W/run.html port rc
  echo "== a real run: ports on loopback, one open and one closed"
  port=$(lab_free_port tcp)
  socat "TCP-LISTEN:$port,bind=127.0.0.1,reuseaddr,fork" SYSTEM:true >/dev/null 2>&1 &
  lab_on_exit "kill $! 2>/dev/null"
  lab_wait_port 127.0.0.1 "$port" tcp 5 || { echo "socat did not listen on $port" >&2; exit 1; }
  set +e
  timeout --kill-after=2 30 "$RTCPROBE" --format html --timeout 5 \
    ports 127.0.0.1 --ports "$port/tcp,1/tcp" >"$page" 2>"$page.err"
  rc=$?
  set -e
  printf '# rtcprobe --format html ports 127.0.0.1 --ports %s/tcp,1/tcp -> exit %d\n' "$port" "$rc"
  sed 's/^/#   stderr: /' "$page.err" | head -n 5
  lab_check "real run: exit 1 (port 1 is closed)" test "$rc" -eq 1
  lab_check "real run: an HTML page" grep -q '^<!DOCTYPE html>' "$page"
  lab_check "real run: the verdict counts the checks" grep -q '<p class="verdict fail">1 passed, 0 warned, 1 failed</p>' "$page"
  check_page run "$page"
}

main() {
  lab_require chromium jq python3 socat
  CHROMIUM=$(command -v chromium)
  [[ -x $RTCPROBE ]] || { echo "RTCPROBE=$RTCPROBE is not an executable" >&2; exit 1; }
  lab_init
  W=$(lab_tmpdir)
  check_canary
  check_golden
  check_hostile
  check_real_run
  lab_finish
}

main "$@"
