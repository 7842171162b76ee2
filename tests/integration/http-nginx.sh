#!/bin/bash
# rtcprobe `http` against the web lab: Debian's nginx in front of a real
# Node app (tests/lab/web/app.js) on loopback, in the nginx variants good,
# cleartext, nohsts, shorthsts and expiring, with the lab's own CA.
# Asserts on the JSON report with jq: status and phases, certificate
# evidence, the http->https redirect (the lab's plain port is not 80, so the
# http:// URL is passed next to the https:// one, which is how the redirect
# check learns the plain port), HSTS, --expect-json on the health routes, the
# file endpoint's CDN hop, CORS (strict, reflecting, * with credentials),
# the wrong CA with and without --insecure, and a refused port.
# Env: RTCPROBE = the built binary. Exit 0 pass, 1 fail, 77 skip.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/../lab/lib.sh"

RTCPROBE=${RTCPROBE:-$HERE/../../build/rtcprobe}
TIMEOUT=10

probe() { # out, args...: lab_probe (tests/lab/lib.sh) on this host
  local out=$1
  shift
  LAB_PROBE_LIMIT=$((TIMEOUT + 10)) lab_probe "$out" --timeout "$TIMEOUT" "$@"
}

expect_rc() { # what, expected
  lab_check "$1: exit code $2 (got $RC)" test "$RC" -eq "$2"
}

jqc() { # what, file, expr (chk(ID) available)
  lab_jq_check "$1" "$2" "$LAB_JQ_DEFS $3"
}

# Start VARIANT in $W/VARIANT and load its env (LAB_WEB_* ports, CA files).
web() {
  lab_web_start "$W/$1" "$1" || { echo "could not start the web lab ($1)" >&2; exit 1; }
  # shellcheck source=/dev/null
  source "$W/$1/env"
  HTTPS=https://127.0.0.1:$LAB_WEB_HTTPS_PORT
  PLAIN=http://127.0.0.1:$LAB_WEB_HTTP_PORT
  echo "# web lab $1: nginx http $LAB_WEB_HTTP_PORT, https $LAB_WEB_HTTPS_PORT"
}

check_good() {
  local r=$W/good.json
  echo "== good: health, phases, certificate, redirect, HSTS"
  probe "$r" --ca-file "$LAB_CA_FILE" http "$HTTPS/health" "$PLAIN/health" --expect-json status=ok
  expect_rc "good" 0
  jqc "http.1: pass, status 200, JSON as expected" "$r" \
    'chk("http.1") | .status == "pass" and .details.status == 200 and .kind == "http" and (.summary | test("JSON as expected"))'
  jqc "http.1: phases connect/tls/ttfb/total > 0, dns >= 0" "$r" \
    'chk("http.1").metrics | .connect_ms > 0 and .tls_ms > 0 and .ttfb_ms > 0 and .total_ms > 0 and .dns_ms >= 0'
  jqc "http.1: phases add up to no more than total" "$r" \
    'chk("http.1").metrics | (.dns_ms + .connect_ms + .tls_ms + .ttfb_ms) <= .total_ms + 0.01'
  # The kernel's smallest RTT sample on the connection cannot exceed the
  # handshake, TLS and request it was taken over.
  jqc "http.1: tcp_rtt_ms from TCP_INFO, > 0 and within connect + tls + ttfb" "$r" \
    'chk("http.1").metrics | .tcp_rtt_ms > 0 and .tcp_rtt_ms <= .connect_ms + .tls_ms + .ttfb_ms'
  jqc "http.1: TLS version, verified, lab CA, subject, SAN" "$r" \
    'chk("http.1").details | (.tls_version | test("^TLSv1\\.[23]$")) and .tls_verified == true
       and (.cert_issuer | test("rtcprobe web lab CA")) and .cert_subject == "CN=api.lab.test"
       and (.cert_san | test("IP:127\\.0\\.0\\.1")) and (.cert_san | test("DNS:api\\.lab\\.test"))'
  jqc "http.1: cert_days_left about 397" "$r" 'chk("http.1").metrics.cert_days_left | . > 390 and . < 400'
  jqc "http.1: http_version, server nginx, content_type JSON" "$r" \
    'chk("http.1").details | (.http_version | test("^HTTP/")) and (.server | test("nginx")) and (.content_type | test("application/json"))'
  jqc "http.2 (the http:// URL): 301 hop then 200 over https" "$r" \
    'chk("http.2") | .status == "pass" and (.details.redirects | test("^301 http://127\\.0\\.0\\.1:[0-9]+/health -> 200 https://127\\.0\\.0\\.1:[0-9]+/health$"))'
  jqc "redirect check uses the given http:// URL and passes" "$r" \
    'chk("http.127.0.0.1.redirect") | .status == "pass" and (.target | startswith("http://")) and (.details.location | startswith("https://")) and .details.status == 301'
  jqc "hsts: pass, max-age one year" "$r" \
    'chk("http.127.0.0.1.hsts") | .status == "pass" and .metrics.hsts_max_age_s == 31536000'
  jqc "one redirect and one hsts check for the host" "$r" \
    '[.checks[] | select(.id | test("^http\\.127\\.0\\.0\\.1\\."))] | length == 2'

  r=$W/good-https-only.json
  echo "== good: https URL on an explicit port only: redirect check skipped with the reason"
  probe "$r" --ca-file "$LAB_CA_FILE" http "$HTTPS/health"
  expect_rc "https only" 0
  jqc "http: id without index" "$r" 'chk("http").status == "pass"'
  jqc "redirect: skip saying the plain port is unknown" "$r" \
    'chk("http.127.0.0.1.redirect") | .status == "skip" and (.summary | test("plain-http port is unknown"))'
}

check_health() {
  local r
  echo "== health routes with --expect-json status=ok"
  r=$W/degraded.json
  probe "$r" --ca-file "$LAB_CA_FILE" http "$HTTPS/health/degraded" --expect-json status=ok
  expect_rc "degraded" 1
  jqc "degraded: fail naming what was found" "$r" \
    'chk("http") | .status == "fail" and .summary == "status is \"degraded\", expected \"ok\"" and (.hint | length > 0)'
  r=$W/text.json
  probe "$r" --ca-file "$LAB_CA_FILE" http "$HTTPS/health/text" --expect-json status=ok
  jqc "text: body is not JSON (text/plain: \"OK\")" "$r" \
    'chk("http") | .status == "fail" and (.summary | startswith("body is not JSON (text/plain: \"OK\")"))'
  r=$W/500.json
  probe "$r" --ca-file "$LAB_CA_FILE" http "$HTTPS/health/500" --expect-json status=ok
  jqc "500: fail with the app-log hint" "$r" \
    'chk("http") | .status == "fail" and .details.status == 500 and (.summary | test("500")) and (.hint | test("API.s log"))'
  r=$W/404.json
  probe "$r" --ca-file "$LAB_CA_FILE" http "$HTTPS/nothing-here"
  jqc "404: fail with the routing hint" "$r" \
    'chk("http") | .status == "fail" and .details.status == 404 and (.hint | test("location block"))'
}

check_files() {
  local r=$W/files.json
  echo "== file endpoint: the CDN hop is followed and both hops reported"
  probe "$r" --ca-file "$LAB_CA_FILE" http "$HTTPS/api/v1/files/abc123"
  expect_rc "files" 0
  jqc "files: both hops in details.redirects" "$r" \
    'chk("http") | .status == "pass" and (.details.redirects | test("^302 https://[^ ]+/api/v1/files/abc123 -> 200 https://[^ ]+/cdn/abc123$"))'
  jqc "files: content type, length and cache headers" "$r" \
    'chk("http").details | .content_type == "image/png" and .content_length > 0 and (.cache_control | length > 0) and (.etag | length > 0)'
  jqc "files: redirect_ms > 0 and total_ms >= redirect_ms" "$r" \
    'chk("http").metrics | .redirect_ms > 0 and .total_ms >= .redirect_ms'
}

check_cors() {
  local r
  echo "== CORS"
  r=$W/cors-good.json
  probe "$r" --ca-file "$LAB_CA_FILE" http "$HTTPS/health" --origin "$LAB_CORS_ORIGIN"
  jqc "strict CORS: pass, preflight answered, foreign origin refused" "$r" \
    'chk("http.cors") | .status == "pass" and .details.allow_origin == "'"$LAB_CORS_ORIGIN"'" and .details.preflight_status == 204 and .details.foreign_allow_origin == ""'
  r=$W/cors-other.json
  probe "$r" --ca-file "$LAB_CA_FILE" http "$HTTPS/health" --origin https://other.lab.test
  jqc "origin not allowed: fail, hint names CORS_ORIGIN" "$r" \
    'chk("http.cors") | .status == "fail" and (.hint | test("add the app origin to CORS_ORIGIN"))'
  r=$W/cors-reflect.json
  probe "$r" --ca-file "$LAB_CA_FILE" http "$HTTPS/cors/reflect/health" --origin "$LAB_CORS_ORIGIN"
  jqc "reflecting CORS: fail, the foreign origin came back" "$r" \
    'chk("http.cors") | .status == "fail" and (.summary | test("reflects Origin")) and (.hint | test("strict"))'
  r=$W/cors-star.json
  probe "$r" --ca-file "$LAB_CA_FILE" http "$HTTPS/cors/star/health" --origin "$LAB_CORS_ORIGIN"
  jqc "* with credentials: fail" "$r" \
    'chk("http.cors") | .status == "fail" and (.summary | test("\\* together with Access-Control-Allow-Credentials: true"))'
  r=$W/cors-two.json
  probe "$r" --ca-file "$LAB_CA_FILE" http "$HTTPS/health" "$HTTPS/cors/reflect/health" --origin "$LAB_CORS_ORIGIN"
  jqc "two URLs: http.cors.1 pass, http.cors.2 fail" "$r" \
    'chk("http.cors.1").status == "pass" and chk("http.cors.2").status == "fail"'
}

check_tls_failures() {
  local r
  echo "== TLS: wrong CA, --insecure, system store"
  r=$W/wrong-ca.json
  probe "$r" --ca-file "$LAB_OTHER_CA_FILE" http "$HTTPS/health"
  expect_rc "wrong CA" 1
  jqc "wrong CA: fail naming an unknown CA, evidence still there" "$r" \
    'chk("http") | .status == "fail" and (.summary | test("unknown CA")) and .details.tls_error == "unknown_ca"
       and .details.tls_verified == false and .metrics.cert_days_left > 390 and (.details.cert_issuer | test("web lab CA"))'
  r=$W/insecure.json
  probe "$r" --insecure --ca-file "$LAB_OTHER_CA_FILE" http "$HTTPS/health" --expect-json status=ok
  expect_rc "insecure" 0
  jqc "--insecure: warn, still names what would have failed" "$r" \
    'chk("http") | .status == "warn" and (.summary | test("not trusted \\(--insecure\\): issued by an unknown CA")) and .details.tls_error == "unknown_ca"'
  r=$W/system-store.json
  probe "$r" http "$HTTPS/health"
  jqc "system store: lab CA unknown" "$r" 'chk("http") | .status == "fail" and .details.tls_error == "unknown_ca"'
  # The system store is OpenSSL's: the lab CA in a hashed SSL_CERT_DIR, or
  # SSL_CERT_FILE naming it, is trusted by curl's handshake and our own check.
  local certs=$W/system-certs
  mkdir -p "$certs" && cp "$LAB_CA_FILE" "$certs/" && openssl rehash "$certs" >/dev/null 2>&1
  r=$W/system-dir.json
  LAB_PROBE_ENV=(-u SSL_CERT_FILE SSL_CERT_DIR="$certs")
  probe "$r" http "$HTTPS/health" --expect-json status=ok
  jqc "SSL_CERT_DIR with the lab CA: pass, verified" "$r" 'chk("http") | .status == "pass" and .details.tls_verified == true'
  r=$W/system-file.json
  LAB_PROBE_ENV=(SSL_CERT_FILE="$LAB_CA_FILE" SSL_CERT_DIR="$W")
  probe "$r" http "$HTTPS/health" --expect-json status=ok
  LAB_PROBE_ENV=()
  jqc "SSL_CERT_FILE naming the lab CA: pass, verified" "$r" 'chk("http") | .status == "pass" and .details.tls_verified == true'
}

check_refused() {
  local r=$W/refused.json port
  echo "== refused port"
  port=$(lab_free_port tcp)
  probe "$r" http "https://127.0.0.1:$port/health"
  expect_rc "refused" 1
  lab_check "refused: finished within 3 s (took $MS ms)" test "$MS" -le 3000
  jqc "refused: fail saying nothing listens" "$r" \
    'chk("http") | .status == "fail" and (.summary | test("refused")) and (.hint | test("nothing accepts"))'
}

check_variant_cleartext() {
  local r=$W/cleartext.json
  echo "== cleartext: plain port serves the app"
  probe "$r" --ca-file "$LAB_CA_FILE" http "$HTTPS/health" "$PLAIN/health"
  expect_rc "cleartext" 1
  jqc "redirect: fail, served in clear, hint with return 301" "$r" \
    'chk("http.127.0.0.1.redirect") | .status == "fail" and (.summary | test("served in clear")) and .details.status == 200
       and (.hint | contains("return 301 https://$host$request_uri;"))'
}

check_variant_hsts() { # variant, expected max-age or empty
  local r=$W/$1.json
  echo "== $1: HSTS"
  probe "$r" --ca-file "$LAB_CA_FILE" http "$HTTPS/health" "$PLAIN/health"
  expect_rc "$1" 0
  if [[ -z $2 ]]; then
    jqc "hsts: warn, header missing" "$r" \
      'chk("http.127.0.0.1.hsts") | .status == "warn" and (.summary | test("no Strict-Transport-Security"))'
  else
    jqc "hsts: warn, max-age $2 under 180 days" "$r" \
      'chk("http.127.0.0.1.hsts") | .status == "warn" and .metrics.hsts_max_age_s == '"$2"
  fi
  jqc "hsts hint names the nginx add_header line" "$r" \
    'chk("http.127.0.0.1.hsts").hint | contains("add_header Strict-Transport-Security \"max-age=31536000; includeSubDomains\" always;")'
}

check_variant_expiring() {
  local r=$W/expiring.json
  echo "== expiring: certificate with 5 days left"
  probe "$r" --ca-file "$LAB_CA_FILE" http "$HTTPS/health"
  expect_rc "expiring" 0
  jqc "expiring: warn, cert_days_left < 14, renew hint" "$r" \
    'chk("http") | .status == "warn" and .metrics.cert_days_left < 14 and .metrics.cert_days_left > 3 and (.hint | test("renew"))'
}

main() {
  lab_require nginx node npm jq openssl curl
  [[ -x $RTCPROBE ]] || { echo "RTCPROBE=$RTCPROBE is not an executable" >&2; exit 1; }
  lab_init
  W=$(lab_tmpdir)

  web good
  check_good
  check_health
  check_files
  check_cors
  check_tls_failures
  check_refused
  lab_web_stop "$W/good"

  web cleartext
  check_variant_cleartext
  lab_web_stop "$W/cleartext"
  web nohsts
  check_variant_hsts nohsts ""
  lab_web_stop "$W/nohsts"
  web shorthsts
  check_variant_hsts shorthsts 86400
  lab_web_stop "$W/shorthsts"
  web expiring
  check_variant_expiring
  lab_finish
}

main "$@"
