/* Tests for target parsing: RFC 7064/7065 URIs and http(s)/ws(s) URLs.
 * Good inputs are checked field by field and for a stable normalised form;
 * bad inputs must fail with G_IO_ERROR_INVALID_ARGUMENT and a message that
 * quotes the input and names the problem. */
#include <gio/gio.h>
#include <string.h>

#include "probe/core/target.h"

typedef struct {
  const char *in;
  RpScheme scheme;
  const char *host;
  gboolean host_is_ip;
  guint16 port;
  gboolean port_explicit;
  RpTransport transport;
  gboolean transport_explicit;
  const char *path;
  const char *query;
  const char *uri;
} Good;

#define U RP_TRANSPORT_UDP
#define T RP_TRANSPORT_TCP
#define S RP_TRANSPORT_TLS

static const Good good[] = {
  /* RFC 7064 3.2 / RFC 7065 3.2 defaults */
  { "stun:example.org", RP_SCHEME_STUN, "example.org", FALSE, 3478, FALSE, U, FALSE, NULL, NULL,
    "stun:example.org" },
  { "stuns:example.org", RP_SCHEME_STUNS, "example.org", FALSE, 5349, FALSE, S, FALSE, NULL, NULL,
    "stuns:example.org" },
  { "turn:example.org", RP_SCHEME_TURN, "example.org", FALSE, 3478, FALSE, U, FALSE, NULL, NULL,
    "turn:example.org" },
  { "turns:example.org", RP_SCHEME_TURNS, "example.org", FALSE, 5349, FALSE, S, FALSE, NULL, NULL,
    "turns:example.org" },
  { "http://example.org", RP_SCHEME_HTTP, "example.org", FALSE, 80, FALSE, T, FALSE, "/", NULL,
    "http://example.org/" },
  { "https://example.org", RP_SCHEME_HTTPS, "example.org", FALSE, 443, FALSE, S, FALSE, "/", NULL,
    "https://example.org/" },
  { "ws://example.org", RP_SCHEME_WS, "example.org", FALSE, 80, FALSE, T, FALSE, "/", NULL,
    "ws://example.org/" },
  { "wss://example.org", RP_SCHEME_WSS, "example.org", FALSE, 443, FALSE, S, FALSE, "/", NULL,
    "wss://example.org/" },
  /* explicit ports, kept even when equal to the default */
  { "stun:media.example.test:19302", RP_SCHEME_STUN, "media.example.test", FALSE, 19302, TRUE, U,
    FALSE, NULL, NULL, "stun:media.example.test:19302" },
  { "turn:example.org:3478", RP_SCHEME_TURN, "example.org", FALSE, 3478, TRUE, U, FALSE, NULL, NULL,
    "turn:example.org:3478" },
  { "turns:example.org:443", RP_SCHEME_TURNS, "example.org", FALSE, 443, TRUE, S, FALSE, NULL, NULL,
    "turns:example.org:443" },
  { "turn:h:1", RP_SCHEME_TURN, "h", FALSE, 1, TRUE, U, FALSE, NULL, NULL, "turn:h:1" },
  { "turn:h:65535", RP_SCHEME_TURN, "h", FALSE, 65535, TRUE, U, FALSE, NULL, NULL, "turn:h:65535" },
  { "turn:h:03478", RP_SCHEME_TURN, "h", FALSE, 3478, TRUE, U, FALSE, NULL, NULL, "turn:h:3478" },
  /* ?transport= (RFC 7065 3.1) */
  { "turn:example.org?transport=tcp", RP_SCHEME_TURN, "example.org", FALSE, 3478, FALSE, T, TRUE,
    NULL, NULL, "turn:example.org?transport=tcp" },
  { "turn:example.org:3478?transport=udp", RP_SCHEME_TURN, "example.org", FALSE, 3478, TRUE, U,
    TRUE, NULL, NULL, "turn:example.org:3478?transport=udp" },
  { "turn:example.org?TRANSPORT=TCP", RP_SCHEME_TURN, "example.org", FALSE, 3478, FALSE, T, TRUE,
    NULL, NULL, "turn:example.org?transport=tcp" },
  { "turns:example.org:5349?transport=tcp", RP_SCHEME_TURNS, "example.org", FALSE, 5349, TRUE, S,
    TRUE, NULL, NULL, "turns:example.org:5349?transport=tcp" },
  { "stun:example.org?transport=tcp", RP_SCHEME_STUN, "example.org", FALSE, 3478, FALSE, T, TRUE,
    NULL, NULL, "stun:example.org?transport=tcp" },
  /* case: scheme and host fold, path and query do not */
  { "TURN:Example.ORG", RP_SCHEME_TURN, "example.org", FALSE, 3478, FALSE, U, FALSE, NULL, NULL,
    "turn:example.org" },
  { "HTTPS://Example.org/API?Q=X", RP_SCHEME_HTTPS, "example.org", FALSE, 443, FALSE, S, FALSE,
    "/API", "Q=X", "https://example.org/API?Q=X" },
  /* lenient authority form, normalised to RFC 7064 */
  { "stun://example.org:3478", RP_SCHEME_STUN, "example.org", FALSE, 3478, TRUE, U, FALSE, NULL,
    NULL, "stun:example.org:3478" },
  { "turns://example.org", RP_SCHEME_TURNS, "example.org", FALSE, 5349, FALSE, S, FALSE, NULL, NULL,
    "turns:example.org" },
  /* literals */
  { "turn:192.0.2.1:3478", RP_SCHEME_TURN, "192.0.2.1", TRUE, 3478, TRUE, U, FALSE, NULL, NULL,
    "turn:192.0.2.1:3478" },
  { "turn:[2001:db8::1]:3478", RP_SCHEME_TURN, "2001:db8::1", TRUE, 3478, TRUE, U, FALSE, NULL,
    NULL, "turn:[2001:db8::1]:3478" },
  { "stun:[2001:DB8:0:0::1]", RP_SCHEME_STUN, "2001:db8::1", TRUE, 3478, FALSE, U, FALSE, NULL,
    NULL, "stun:[2001:db8::1]" },
  { "turn:[::1]?transport=tcp", RP_SCHEME_TURN, "::1", TRUE, 3478, FALSE, T, TRUE, NULL, NULL,
    "turn:[::1]?transport=tcp" },
  { "turn:[::ffff:192.0.2.1]", RP_SCHEME_TURN, "::ffff:192.0.2.1", TRUE, 3478, FALSE, U, FALSE,
    NULL, NULL, "turn:[::ffff:192.0.2.1]" },
  { "https://[2001:db8::2]:8443/x", RP_SCHEME_HTTPS, "2001:db8::2", TRUE, 8443, TRUE, S, FALSE,
    "/x", NULL, "https://[2001:db8::2]:8443/x" },
  { "http://[::1]", RP_SCHEME_HTTP, "::1", TRUE, 80, FALSE, T, FALSE, "/", NULL, "http://[::1]/" },
  /* host names */
  { "turn:localhost", RP_SCHEME_TURN, "localhost", FALSE, 3478, FALSE, U, FALSE, NULL, NULL,
    "turn:localhost" },
  { "turn:example.org.", RP_SCHEME_TURN, "example.org.", FALSE, 3478, FALSE, U, FALSE, NULL, NULL,
    "turn:example.org." },
  { "turn:a-b.c-d.example", RP_SCHEME_TURN, "a-b.c-d.example", FALSE, 3478, FALSE, U, FALSE, NULL,
    NULL, "turn:a-b.c-d.example" },
  { "turn:1.2.3.example", RP_SCHEME_TURN, "1.2.3.example", FALSE, 3478, FALSE, U, FALSE, NULL, NULL,
    "turn:1.2.3.example" },
  { "turn:xn--bcher-kva.example", RP_SCHEME_TURN, "xn--bcher-kva.example", FALSE, 3478, FALSE, U,
    FALSE, NULL, NULL, "turn:xn--bcher-kva.example" },
  /* URLs: path, query, fragment */
  { "https://example.org:8443/socket.io/?EIO=4&transport=websocket", RP_SCHEME_HTTPS, "example.org",
    FALSE, 8443, TRUE, S, FALSE, "/socket.io/", "EIO=4&transport=websocket",
    "https://example.org:8443/socket.io/?EIO=4&transport=websocket" },
  { "wss://example.org/rtc#frag", RP_SCHEME_WSS, "example.org", FALSE, 443, FALSE, S, FALSE, "/rtc",
    NULL, "wss://example.org/rtc" },
  { "http://example.org#", RP_SCHEME_HTTP, "example.org", FALSE, 80, FALSE, T, FALSE, "/", NULL,
    "http://example.org/" },
  { "http://example.org?", RP_SCHEME_HTTP, "example.org", FALSE, 80, FALSE, T, FALSE, "/", "",
    "http://example.org/?" },
  { "http://example.org?a=b", RP_SCHEME_HTTP, "example.org", FALSE, 80, FALSE, T, FALSE, "/", "a=b",
    "http://example.org/?a=b" },
  { "http://example.org/a%20b/@x:y?q=%2F/?", RP_SCHEME_HTTP, "example.org", FALSE, 80, FALSE, T,
    FALSE, "/a%20b/@x:y", "q=%2F/?", "http://example.org/a%20b/@x:y?q=%2F/?" },
  { "ws://127.0.0.1:8080/", RP_SCHEME_WS, "127.0.0.1", TRUE, 8080, TRUE, T, FALSE, "/", NULL,
    "ws://127.0.0.1:8080/" },
};

typedef struct {
  const char *in;
  const char *msg;   /* must appear in the error message */
} Bad;

static const Bad bad[] = {
  { "", "empty" },
  { "example.org", "no scheme" },
  { ":3478", "no scheme" },
  { "udp:example.org", "unknown scheme \"udp\"" },
  { "stunx:example.org", "unknown scheme" },
  { "stun:", "missing host" },
  { "turn::3478", "missing host" },
  { "turn:?transport=tcp", "missing host" },
  { "http://", "missing host" },
  { "http:///path", "missing host" },
  { "http://:80/", "missing host" },
  /* ports */
  { "turn:example.org:70000", "port \"70000\" is out of range" },
  { "turn:example.org:0", "out of range" },
  { "turn:example.org:00000", "out of range" },
  { "turn:example.org:65536", "out of range" },
  { "turn:example.org:3478999999999", "out of range" },
  { "turn:example.org:99999999999999999999999999999999", "out of range" },
  { "turn:example.org:", "empty port" },
  { "turn:example.org:-1", "not a decimal number" },
  { "turn:example.org:+80", "not a decimal number" },
  { "turn:example.org:0x50", "not a decimal number" },
  { "turn:example.org:34a", "not a decimal number" },
  { "turn:example.org:3478:1", "not a decimal number" },
  { "https://example.org:/", "empty port" },
  { "https://example.org:443x/", "not a decimal number" },
  /* transport */
  { "stuns:example.org?transport=tcp", "stuns: ?transport= is not allowed" },
  { "turns:example.org?transport=udp", "DTLS, which is not supported" },
  { "turn:example.org?transport=tls", "write turns:HOST for TLS" },
  { "turn:example.org?transport=sctp", "unknown transport \"sctp\"" },
  { "turn:example.org?transport=", "needs a value" },
  { "turn:example.org?transport", "needs a value" },
  { "turn:example.org?", "empty query" },
  { "turn:example.org?foo=bar", "unknown parameter \"foo\"" },
  { "turn:example.org?transport=udp&foo=1", "only one parameter" },
  { "turn:example.org?transport=udp&transport=tcp", "only one parameter" },
  { "stun:example.org?x", "unknown parameter" },
  { "turn:example.org?transports=udp", "unknown parameter" },
  /* shape */
  { "turn:example.org/path", "no path" },
  { "turn:example.org:3478/", "no path" },
  { "stun://example.org/", "no path" },
  { "turn:example.org#x", "no fragment" },
  { "turn:user@example.org", "credentials never go in a URI" },
  { "turn:user:pw@example.org:3478", "credentials never go in a URI" },
  { "https://user:pw@example.org/", "credentials never go in a URL" },
  { "https://@example.org/", "credentials" },
  { "https:example.org", "expected https://HOST" },
  { "ws:/example.org", "expected ws://HOST" },
  /* IPv6 */
  { "turn:2001:db8::1", "must be in brackets" },
  { "turn:2001:db8::1:3478", "must be in brackets" },
  { "turn:[2001:db8::1", "without a closing" },
  { "turn:[2001:db8::g]", "is not an IPv6 address" },
  { "turn:[]", "empty IPv6" },
  { "turn:[192.0.2.1]", "without brackets" },
  { "turn:[fe80::1%25eth0]", "zone ids are not supported" },
  { "turn:[fe80::1%eth0]", "zone ids are not supported" },
  { "turn:[::1]x", "unexpected 'x' after ']'" },
  { "turn:[::1]]", "unexpected" },
  { "https://[::1]x/", "unexpected" },
  { "turn:[v1.x]", "not an IPv6 address" },
  { "turn:[::]:3478", "[::] is not a server address" },
  { "turn:[0:0::0]", "not a server address" },
  { "http://0.0.0.0:8080/", "0.0.0.0 is not a server address" },
  /* host names */
  { "turn:exa_mple.org", "invalid character '_'" },
  { "turn:exa%41mple.org", "invalid character '%'" },
  { "turn:example..org", "empty label" },
  { "turn:.example.org", "empty label" },
  { "turn:example.org..", "empty label" },
  { "turn:.", "host name is empty" },
  { "turn:-example.org", "starts or ends with '-'" },
  { "turn:example-.org", "starts or ends with '-'" },
  { "turn:1.2.3.256", "neither a name nor a dotted-quad" },
  { "turn:127.1", "neither a name nor a dotted-quad" },
  { "turn:1.2.3.4.", "neither a name" },
  { "turn:0x7f000001", "neither a name" },
  { "turn:01.2.3.4", "neither a name" },
  { "turn:3478", "neither a name" },
  { "turn:example.123", "neither a name" },
  /* characters */
  { "turn:example.org ", "contains a space" },
  { " turn:example.org", "contains a space" },
  { "turn:exa mple.org", "at offset 8" },
  { "turn:example.org\t", "control" },
  { "turn:example.org\r\n", "control" },
  { "turn:\x01", "control" },
  { "turn:ex\x7f", "control" },
  { "turn:b\xc3\xbc" "cher.example", "non-ASCII" },
  { "https://example.org/a b", "contains a space" },
  { "https://example.org/a\"b", "must be percent-encoded" },
  { "https://example.org/<x>", "must be percent-encoded" },
  { "https://example.org/%zz", "not a %XX escape" },
  { "https://example.org/%4", "not a %XX escape" },
  { "https://example.org/?q=%", "not a %XX escape" },
  { "https://example.org/?q=[x]", "must be percent-encoded" },
  { "https://example.org/a\\b", "must be percent-encoded" },
};

static void
check_good (const Good *g)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (RpTarget) t = rp_target_parse (g->in, &error);

  g_test_message ("good: %s", g->in);
  g_assert_no_error (error);
  g_assert_nonnull (t);
  g_assert_cmpint (t->scheme, ==, g->scheme);
  g_assert_cmpstr (t->host, ==, g->host);
  g_assert_cmpint (t->host_is_ip, ==, g->host_is_ip);
  g_assert_cmpuint (t->port, ==, g->port);
  g_assert_cmpint (t->port_explicit, ==, g->port_explicit);
  g_assert_cmpint (t->transport, ==, g->transport);
  g_assert_cmpint (t->transport_explicit, ==, g->transport_explicit);
  g_assert_cmpstr (t->path, ==, g->path);
  g_assert_cmpstr (t->query, ==, g->query);
  g_assert_cmpstr (t->uri, ==, g->uri);

  /* The normalised form is a fixed point. */
  g_autoptr (RpTarget) again = rp_target_parse (t->uri, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (again->uri, ==, t->uri);
  g_assert_cmpstr (again->host, ==, t->host);
  g_assert_cmpuint (again->port, ==, t->port);
  g_assert_cmpint (again->port_explicit, ==, t->port_explicit);
  g_assert_cmpint (again->transport, ==, t->transport);
  g_assert_cmpint (again->transport_explicit, ==, t->transport_explicit);
}

static void
check_bad (const char *in, const char *msg)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (RpTarget) t = rp_target_parse (in, &error);
  g_autofree char *esc = g_strescape (in, NULL);

  g_test_message ("bad: \"%s\" -> %s", esc, error != NULL ? error->message : "(parsed)");
  g_assert_null (t);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, msg));
  /* one line, and it quotes (the start of) the input */
  g_assert_null (strchr (error->message, '\n'));
  g_autofree char *head = g_strndup (esc, 20);
  g_assert_nonnull (strstr (error->message, head));
}

static void
test_good (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (good); i++)
    check_good (&good[i]);
}

static void
test_bad (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    check_bad (bad[i].in, bad[i].msg);
}

static void
test_message_names_kind (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (RpTarget) t = rp_target_parse ("turn:example.org:70000", &error);

  g_assert_null (t);
  g_assert_cmpstr (error->message, ==,
                   "turn URI \"turn:example.org:70000\": port \"70000\" is out of range (1-65535)");
  g_clear_error (&error);
  t = rp_target_parse ("wss://example.org:0/", &error);
  g_assert_null (t);
  g_assert_true (g_str_has_prefix (error->message, "wss URL \"wss://example.org:0/\": "));
}

static void
test_embedded_nul (void)
{
  /* C strings end at NUL: what follows is not seen, and the prefix parses. */
  static const char in[] = "turn:example.org\0:99999";
  g_autoptr (GError) error = NULL;
  g_autoptr (RpTarget) t = rp_target_parse (in, &error);

  g_assert_no_error (error);
  g_assert_cmpuint (t->port, ==, 3478);
}

static void
test_long (void)
{
  /* labels of 63 are fine, 64 is not; names up to 253 (+ trailing dot) */
  g_autofree char *l63 = g_strnfill (63, 'a');
  g_autofree char *l64 = g_strnfill (64, 'a');
  g_autofree char *ok63 = g_strdup_printf ("turn:%s.example", l63);
  g_autofree char *bad64 = g_strdup_printf ("turn:%s.example", l64);
  g_autofree char *name253 = g_strdup_printf ("%s.%s.%s.%s", l63, l63, l63, l63);
  g_autofree char *n253 = NULL;
  g_autofree char *n254 = NULL;
  g_autofree char *n253dot = NULL;

  name253[253] = '\0';   /* 4*63+3 = 255: cut to 253, last label 61 */
  n253 = g_strdup_printf ("turn:%s", name253);
  n253dot = g_strdup_printf ("turn:%s.", name253);
  n254 = g_strdup_printf ("turn:%sa", name253);

  check_bad (bad64, "longer than 63");
  check_bad (n254, "longer than 253");
  for (const char *const *s = (const char *const[]) { ok63, n253, n253dot, NULL }; *s; s++) {
    g_autoptr (GError) error = NULL;
    g_autoptr (RpTarget) t = rp_target_parse (*s, &error);
    g_assert_no_error (error);
    g_assert_cmpstr (t->uri, ==, *s);
  }

  /* very long input: refused as a whole, message stays short */
  g_autofree char *huge_path = g_strnfill (5000, 'x');
  g_autofree char *huge = g_strdup_printf ("https://example.org/%s", huge_path);
  g_autoptr (GError) error = NULL;
  g_autoptr (RpTarget) t = rp_target_parse (huge, &error);
  g_assert_null (t);
  g_assert_nonnull (strstr (error->message, "longer than 4096"));
  g_assert_cmpuint (strlen (error->message), <, 200);

  /* a long bad IPv6 literal is quoted, cut short */
  g_autofree char *junk = g_strnfill (3000, 'f');
  g_autofree char *lit = g_strdup_printf ("turn:[::%s]", junk);
  g_autoptr (GError) error4 = NULL;
  g_autoptr (RpTarget) t4 = rp_target_parse (lit, &error4);
  g_assert_null (t4);
  g_assert_nonnull (strstr (error4->message, "is not an IPv6 address"));
  g_assert_cmpuint (strlen (error4->message), <, 250);

  /* long but allowed path */
  g_autofree char *long_path = g_strnfill (4000, 'y');
  g_autofree char *long_url = g_strdup_printf ("https://example.org/%s", long_path);
  g_autoptr (GError) error2 = NULL;
  g_autoptr (RpTarget) t2 = rp_target_parse (long_url, &error2);
  g_assert_no_error (error2);
  g_assert_cmpuint (strlen (t2->path), ==, 4001);

  /* a huge port is quoted, cut short */
  g_autofree char *digits = g_strnfill (3000, '9');
  g_autofree char *bigport = g_strdup_printf ("turn:h:%s", digits);
  g_autoptr (GError) error3 = NULL;
  g_autoptr (RpTarget) t3 = rp_target_parse (bigport, &error3);
  g_assert_null (t3);
  g_assert_nonnull (strstr (error3->message, "out of range"));
  g_assert_cmpuint (strlen (error3->message), <, 250);
}

static void
test_hostport (void)
{
  static const struct { const char *in, *hp; } cases[] = {
    { "turn:[2001:db8::1]:3478", "[2001:db8::1]:3478" },
    { "stun:example.org", "example.org:3478" },
    { "turns:192.0.2.7", "192.0.2.7:5349" },
    { "https://[::1]/x", "[::1]:443" },
    { "ws://example.org:8080", "example.org:8080" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autoptr (GError) error = NULL;
    g_autoptr (RpTarget) t = rp_target_parse (cases[i].in, &error);
    g_autofree char *hp = NULL;

    g_assert_no_error (error);
    hp = rp_target_hostport (t);
    g_assert_cmpstr (hp, ==, cases[i].hp);
  }
}

static void
test_to_string (void)
{
  g_assert_cmpstr (rp_transport_to_string (RP_TRANSPORT_UDP), ==, "udp");
  g_assert_cmpstr (rp_transport_to_string (RP_TRANSPORT_TCP), ==, "tcp");
  g_assert_cmpstr (rp_transport_to_string (RP_TRANSPORT_TLS), ==, "tls");
  g_assert_cmpstr (rp_transport_to_string ((RpTransport) 99), ==, "unknown");
  g_assert_cmpstr (rp_scheme_to_string (RP_SCHEME_STUN), ==, "stun");
  g_assert_cmpstr (rp_scheme_to_string (RP_SCHEME_STUNS), ==, "stuns");
  g_assert_cmpstr (rp_scheme_to_string (RP_SCHEME_TURN), ==, "turn");
  g_assert_cmpstr (rp_scheme_to_string (RP_SCHEME_TURNS), ==, "turns");
  g_assert_cmpstr (rp_scheme_to_string (RP_SCHEME_HTTP), ==, "http");
  g_assert_cmpstr (rp_scheme_to_string (RP_SCHEME_HTTPS), ==, "https");
  g_assert_cmpstr (rp_scheme_to_string (RP_SCHEME_WS), ==, "ws");
  g_assert_cmpstr (rp_scheme_to_string (RP_SCHEME_WSS), ==, "wss");
  g_assert_cmpstr (rp_scheme_to_string ((RpScheme) 99), ==, "unknown");
}

static void
test_free_null (void)
{
  rp_target_free (NULL);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/target/good", test_good);
  g_test_add_func ("/target/bad", test_bad);
  g_test_add_func ("/target/message", test_message_names_kind);
  g_test_add_func ("/target/embedded-nul", test_embedded_nul);
  g_test_add_func ("/target/long", test_long);
  g_test_add_func ("/target/hostport", test_hostport);
  g_test_add_func ("/target/to-string", test_to_string);
  g_test_add_func ("/target/free-null", test_free_null);
  return g_test_run ();
}
