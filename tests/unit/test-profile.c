/* Tests for deployment profiles: the defaults a domain implies, every key
 * of the example profile, inline secrets and unknown keys refused with a
 * message naming them, relative paths, URL schemes, and the TURN and port
 * lists a profile expands to. */
#include <string.h>

#include <gio/gio.h>
#include <glib/gstdio.h>

#include "probe/core/portlist.h"
#include "probe/core/profile.h"
#include "probe/core/target.h"

/* Writes text to a fresh profile file; returns its path. */
static char *
write_profile (const char *text)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("rp-profile-XXXXXX", &error);
  char *path;

  g_assert_no_error (error);
  path = g_build_filename (dir, "profile.ini", NULL);
  g_file_set_contents (path, text, -1, &error);
  g_assert_no_error (error);
  return path;
}

static void
remove_profile (const char *path)
{
  g_autofree char *dir = g_path_get_dirname (path);
  g_unlink (path);
  g_rmdir (dir);
}

/* Loads and finishes text; NULL with the error message in *message. */
static RpProfile *
load (const char *text, char **message)
{
  g_autofree char *path = write_profile (text);
  g_autoptr (GError) error = NULL;
  RpProfile *p = rp_profile_load (path, &error);

  if (p != NULL && !rp_profile_finish (p, &error))
    g_clear_pointer (&p, rp_profile_free);
  if (message != NULL)
    *message = error != NULL ? g_strdup (error->message) : NULL;
  remove_profile (path);
  return p;
}

static void
test_domain_defaults (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (RpProfile) p = rp_profile_new_for_domain ("example.org", &error);
  g_autofree char *ports = NULL;
  g_autoptr (GPtrArray) turn = NULL;
  g_autoptr (GPtrArray) hosts = NULL;

  g_assert_no_error (error);
  g_assert_true (rp_profile_finish (p, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (p->app_url, ==, "https://app.example.org/");
  g_assert_cmpstr (p->api_url, ==, "https://api.example.org/");
  g_assert_cmpstr (p->health_url, ==, "https://api.example.org/health");
  g_assert_cmpstr (p->socketio_url, ==, "wss://api.example.org/socket.io/");
  g_assert_cmpstr (p->cdn_url, ==, "https://cdn.example.org/");
  g_assert_cmpstr (p->livekit_url, ==, "wss://example.org:7880");
  g_assert_cmpstr (p->origin, ==, "https://app.example.org");
  g_assert_cmpstr (p->health_expect[0], ==, "status=ok");
  g_assert_null (p->file_url);               /* no hash, no file check */
  g_assert_cmpstr (p->ports_host, ==, "api.example.org");
  g_assert_cmpfloat (p->voice_duration_s, ==, 5);
  ports = rp_profile_port_list (p);
  g_assert_cmpstr (ports, ==, RP_PORTLIST_DEFAULT);

  turn = rp_profile_turn_targets (p, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (turn->len, ==, 3);
  g_assert_cmpstr (((RpTarget *) turn->pdata[0])->uri, ==,
                   "turn:api.example.org:3478?transport=udp");
  g_assert_cmpstr (((RpTarget *) turn->pdata[1])->uri, ==,
                   "turn:api.example.org:3478?transport=tcp");
  g_assert_cmpstr (((RpTarget *) turn->pdata[2])->uri, ==, "turns:api.example.org:5349");

  hosts = rp_profile_hosts (p);
  g_assert_cmpuint (hosts->len, ==, 4);
  g_assert_cmpstr (hosts->pdata[0], ==, "app.example.org");
  g_assert_cmpstr (hosts->pdata[1], ==, "api.example.org");
  g_assert_cmpstr (hosts->pdata[2], ==, "cdn.example.org");
  g_assert_cmpstr (hosts->pdata[3], ==, "example.org");
}

static void
test_bad_domain (void)
{
  const char *bad[] = { "https://example.org", "example.org:443", "192.0.2.1", "exa mple.org", "" };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++) {
    g_autoptr (GError) error = NULL;
    g_autoptr (RpProfile) p = rp_profile_new_for_domain (bad[i], &error);
    g_assert_null (p);
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  }
}

static void
test_example_profile (void)
{
  g_autofree char *path =
    g_build_filename (RP_TEST_DATA, "..", "..", "examples", "profile.ini", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (RpProfile) p = rp_profile_load (path, &error);

  g_assert_no_error (error);
  g_assert_true (rp_profile_finish (p, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (p->domain, ==, "example.org");
  g_assert_cmpstr (p->file_url, ==, "https://api.example.org/api/v1/files/3f2a9c0e");
  g_assert_cmpstr (p->turn_secret_file, ==, "/etc/rtcprobe/turn-secret");
  g_assert_cmpstr (p->livekit_key, ==, "APIexample");
  g_assert_true (p->audit);
  g_assert_true (p->voice);
}

static void
test_explicit (void)
{
  g_autofree char *msg = NULL;
  g_autoptr (RpProfile) p = load (
    "[deployment]\nca_file = ca.pem\n"
    "[web]\napi_url = https://127.0.0.1:8443/api\n"
    "http_urls = http://127.0.0.1:8080/\n"
    "[files]\nfile_hash = abc\n"
    "[turn]\nuris = turn:127.0.0.1:3479 ; turns:127.0.0.1:5350, turn:127.0.0.1:3479?transport=tcp\n"
    "user = u\npassword_file = pw\n"
    "[voice]\nduration = 2.5\nwarn_mos = 3.9\nfail_loss_pct = 4\nenabled = false\n",
    &msg);
  g_autofree char *ports = NULL;
  g_autoptr (GPtrArray) turn = NULL;

  g_assert_cmpstr (msg, ==, NULL);
  g_assert_nonnull (p);
  g_assert_true (g_path_is_absolute (p->ca_file) && g_str_has_suffix (p->ca_file, "/ca.pem"));
  g_assert_true (g_path_is_absolute (p->turn_password_file));
  g_assert_cmpstr (p->health_url, ==, "https://127.0.0.1:8443/api/health");
  g_assert_cmpstr (p->socketio_url, ==, "wss://127.0.0.1:8443/api/socket.io/");
  g_assert_cmpstr (p->file_url, ==, "https://127.0.0.1:8443/api/api/v1/files/abc");
  g_assert_null (p->app_url);
  g_assert_null (p->livekit_url);
  g_assert_cmpfloat (p->voice_duration_s, ==, 2.5);
  g_assert_false (p->voice);
  g_assert_cmpuint (g_strv_length (p->voice_thresholds), ==, 2);
  g_assert_cmpstr (p->voice_thresholds[0], ==, "warn_mos=3.9");
  g_assert_cmpstr (p->voice_thresholds[1], ==, "fail_loss_pct=4");

  /* The TURN host is the ports host; its ports come from the URLs on it. */
  g_assert_cmpstr (p->ports_host, ==, "127.0.0.1");
  ports = rp_profile_port_list (p);
  g_assert_cmpstr (ports, ==, "8443/tcp,8080/tcp,3479/udp,3479/tcp,5350/tcp");
  turn = rp_profile_turn_targets (p, NULL);
  g_assert_cmpuint (turn->len, ==, 3);   /* the explicit tcp one is a duplicate */
}

static void
check_refused (const char *text, const char *needle)
{
  g_autofree char *msg = NULL;
  g_autoptr (RpProfile) p = load (text, &msg);

  g_assert_null (p);
  g_assert_nonnull (msg);
  if (strstr (msg, needle) == NULL)
    g_test_message ("message: %s", msg);
  g_assert_nonnull (strstr (msg, needle));
  g_assert_null (strchr (msg, '\n'));
  g_assert_true (g_str_has_prefix (msg, "profile "));
}

static void
test_inline_secrets (void)
{
  check_refused ("[turn]\nuser = u\npassword = hunter2\n",
                 "[turn] password= puts a secret in the profile");
  check_refused ("[livekit]\nsecret = s3cr3t\n", "[livekit] secret= puts a secret");
  check_refused ("[turn]\nturn_password = x\n", "turn_password=");
  check_refused ("[nosuch]\napi_secret = x\n", "api_secret=");
  /* The secret itself never appears in the message. */
  {
    g_autofree char *msg = NULL;
    g_autoptr (RpProfile) p = load ("[turn]\npassword = hunter2\n", &msg);
    g_assert_null (strstr (msg, "hunter2"));
  }
}

static void
test_unknown_keys (void)
{
  check_refused ("[turn]\nuri = turn:a.example\n", "unknown key 'uri' in [turn]");
  check_refused ("[web]\napp_ulr = https://a.example/\n", "unknown key 'app_ulr' in [web]");
  check_refused ("[tunr]\nuris = turn:a.example\n", "unknown section [tunr]");
}

static void
test_bad_values (void)
{
  check_refused ("[web]\napi_url = ftp://a.example/\n",
                 "[web] api_url: target \"ftp://a.example/\": unknown scheme");
  check_refused ("[web]\napi_url = wss://a.example/\n",
                 "[web] api_url = wss://a.example/: give a https:// or http:// URL");
  check_refused ("[web]\napi_url = https://a.example:99999/\n", "[web] api_url");
  check_refused ("[turn]\nuris = stun:a.example\n", "not a turn: or turns: URI");
  check_refused ("[livekit]\nurl = https://a.example:7880\n", "[livekit] url");
  check_refused ("[voice]\nduration = soon\n", "[voice] duration = soon is not a number");
  check_refused ("[voice]\nduration = 0.5\n[web]\napi_url = https://a.example/\n",
                 "between 1 and 3600");
  check_refused ("[turn]\naudit = maybe\n", "write true or false");
  check_refused ("[turn]\nrest_ttl = 1h\n", "is not a whole number");
  check_refused ("[ports]\nlist = 80/sctp\n[web]\napi_url = https://a.example/\n", "[ports] list");
  check_refused ("[web]\nhealth_expect = ok\napi_url = https://a.example/\n", "write KEY=VALUE");
  check_refused ("[turn]\nuris = turn:a.example\npassword_file = a\nsecret_file = b\n",
                 "exclude each other");
  check_refused ("[turn]\nuris = turn:a.example\npassword_file = a\npassword_env = B\n",
                 "not both");
  check_refused ("[voice]\nduration = 5\n", "nothing to check");
  check_refused ("[web\napi_url = x\n", "profile ");
  /* GLib returns a value for an invalid escape and sets an error too. */
  check_refused ("[turn]\nuris = turn:a.example\nuser = a\\q\n", "[turn] user: Key file");
}

static void
test_missing_file (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (RpProfile) p = rp_profile_load ("/nonexistent/rtcprobe/profile.ini", &error);

  g_assert_null (p);
  g_assert_nonnull (error);
  g_assert_true (g_str_has_prefix (error->message, "profile /nonexistent/rtcprobe/profile.ini: "));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/profile/domain-defaults", test_domain_defaults);
  g_test_add_func ("/profile/bad-domain", test_bad_domain);
  g_test_add_func ("/profile/example", test_example_profile);
  g_test_add_func ("/profile/explicit", test_explicit);
  g_test_add_func ("/profile/inline-secrets", test_inline_secrets);
  g_test_add_func ("/profile/unknown-keys", test_unknown_keys);
  g_test_add_func ("/profile/bad-values", test_bad_values);
  g_test_add_func ("/profile/missing-file", test_missing_file);
  return g_test_run ();
}
