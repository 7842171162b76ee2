/* `rtcprobe --version`: the version, the git revision it was built from, the libraries it
 * runs with (their own run-time version where they report one, else the version built
 * against), the trust store TLS checks use when no --ca-file is given, and whether it
 * is the portable build. */
#include <curl/curl.h>
#include <libwebsockets.h>
#include <openssl/crypto.h>
#include <sqlite3.h>
#include <string.h>

#include "common/trust-store.h"
#include "probe/cli/version.h"
#include "rp-config.h"
#include "rp-revision.h"

/* A portable build says where its bundle was unpacked (dist/portable/launcher.c). */
static char *
build_kind (void)
{
  const char *bundle = g_getenv ("RTCPROBE_PORTABLE");

  if (bundle == NULL)
    return g_strdup ("");
  return g_strdup_printf ("portable: libraries and C library bundled, unpacked in %s\n", bundle);
}

/* libwebsockets says "4.1.6-" when built without its git hash: the bare version. */
static char *
lws_version (void)
{
  char *v = g_strdup (lws_get_library_version ());
  gsize n = strlen (v);

  while (n > 0 && (v[n - 1] == '-' || v[n - 1] == ' '))
    v[--n] = '\0';
  return v;
}

char *
rp_cli_version_text (void)
{
  const curl_version_info_data *curl = curl_version_info (CURLVERSION_NOW);
  g_autofree char *store = rp_tls_system_store_describe ();
  g_autofree char *kind = build_kind ();
  g_autofree char *lws = lws_version ();

  return g_strdup_printf ("rtcprobe %s (git %s)\n"
                          "libraries: GLib %u.%u.%u, json-glib %s, %s, libcurl %s, "
                          "libwebsockets %s, libnice %s, usrsctp %s, SQLite %s\n"
                          "trust store: %s\n%s",
                          RP_VERSION, RP_REVISION, glib_major_version, glib_minor_version,
                          glib_micro_version, RP_BUILT_JSON_GLIB, OpenSSL_version (OPENSSL_VERSION),
                          curl->version, lws, RP_BUILT_NICE,
                          RP_BUILT_USRSCTP, sqlite3_libversion (), store, kind);
}
