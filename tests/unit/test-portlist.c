/* Tests for port list parsing: separators, ranges, protocol names,
 * de-duplication, the size cap, and one-line errors naming the bad entry. */
#include <gio/gio.h>
#include <string.h>

#include "probe/core/portlist.h"

/* Expected lists are written back as "PORT/PROTO" joined with ','. */
static char *
render (GArray *a)
{
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < a->len; i++) {
    RpPortSpec *p = &g_array_index (a, RpPortSpec, i);
    g_string_append_printf (s, "%s%u/%s", i ? "," : "", p->port,
                            rp_port_proto_to_string (p->proto));
  }
  return g_string_free (s, FALSE);
}

static const struct {
  const char *in;
  const char *out;
} good[] = {
  { "80/tcp", "80/tcp" },
  { "443/udp", "443/udp" },
  { "1/tcp", "1/tcp" },
  { "65535/udp", "65535/udp" },
  { "00080/tcp", "80/tcp" },
  { "80/TCP,3478/Udp", "80/tcp,3478/udp" },
  { "80/tcp 443/tcp", "80/tcp,443/tcp" },
  { "80/tcp, 443/tcp", "80/tcp,443/tcp" },
  { " \t80/tcp ,\n443/tcp\r\n", "80/tcp,443/tcp" },
  { "80/tcp,,443/tcp,", "80/tcp,443/tcp" },
  { ",80/tcp", "80/tcp" },
  { "50000-50003/udp", "50000/udp,50001/udp,50002/udp,50003/udp" },
  { "7-7/tcp", "7/tcp" },
  { "65534-65535/tcp", "65534/tcp,65535/tcp" },
  /* duplicates: first occurrence wins, order kept */
  { "443/tcp,80/tcp,443/tcp", "443/tcp,80/tcp" },
  { "3478/udp,3478/tcp,3478/udp", "3478/udp,3478/tcp" },
  { "2-4/tcp,1-3/tcp", "2/tcp,3/tcp,4/tcp,1/tcp" },
  { "5/udp,5/UDP", "5/udp" },
  { RP_PORTLIST_DEFAULT, RP_PORTLIST_DEFAULT },
};

static const struct {
  const char *in;
  const char *msg;
} bad[] = {
  { "", "port list is empty" },
  { " ,, \t", "port list is empty" },
  { "443", "no protocol: write 443/tcp or 443/udp" },
  { "80/tcp,443", "write 443/tcp or 443/udp" },
  { "50000-50010", "write 50000-50010/tcp or 50000-50010/udp" },
  { "0443", "write 443/tcp or 443/udp" },
  { "0/tcp", "port \"0\" is out of range" },
  { "0-10/tcp", "out of range" },
  { "65536/udp", "port \"65536\" is out of range" },
  { "3478999999999/udp", "port \"3478999999999\" is out of range" },
  { "99999999999999999999999999999999999/tcp", "out of range" },
  { "10-5/tcp", "range 10-5 runs backwards (write 5-10)" },
  { "1-65536/tcp", "out of range" },
  { "80/sctp", "unknown protocol \"sctp\" (tcp or udp)" },
  { "80/", "unknown protocol \"\"" },
  { "80/tcp/udp", "unknown protocol \"tcp/udp\"" },
  { "80/tc", "unknown protocol" },
  { "/tcp", "expected a port number" },
  { "tcp/80", "expected a port number" },
  { "-80/tcp", "expected a port number" },
  { "+80/tcp", "expected a port number" },
  { "80-/tcp", "expected a port number" },
  { "-/tcp", "expected a port number" },
  { "0x50/tcp", "port \"0\" is out of range" },
  { "8x50/tcp", "unexpected \"x\"" },
  { "80a/tcp", "unexpected \"a\"" },
  { "80-90-100/tcp", "unexpected \"-\"" },
  { "80;443/tcp", "unexpected \";\"" },
  { "80\x01/tcp", "unexpected \"\\001\"" },
  { "8\xc3\xa0/tcp", "unexpected \"\\303\"" },
  { "80/tcp\x01", "unknown protocol \"tcp\\001\"" },
  { "1-1024/tcp,1/udp", "more than 1024 ports" },
  { "1-65535/tcp", "more than 1024 ports" },
};

static void
test_good (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (good); i++) {
    g_autoptr (GError) error = NULL;
    g_autoptr (GArray) a = rp_portlist_parse (good[i].in, &error);
    g_autofree char *esc = g_strescape (good[i].in, NULL);
    g_autofree char *s = NULL;

    g_test_message ("good: %s", esc);
    g_assert_no_error (error);
    s = render (a);
    g_assert_cmpstr (s, ==, good[i].out);
  }
}

static void
test_bad (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++) {
    g_autoptr (GError) error = NULL;
    g_autoptr (GArray) a = rp_portlist_parse (bad[i].in, &error);
    g_autofree char *esc = g_strescape (bad[i].in, NULL);

    g_test_message ("bad: \"%s\" -> %s", esc, error ? error->message : "(parsed)");
    g_assert_null (a);
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
    g_assert_nonnull (strstr (error->message, bad[i].msg));
    g_assert_null (strchr (error->message, '\n'));
  }
}

static void
test_message (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GArray) a = rp_portlist_parse ("80/tcp, 443", &error);

  g_assert_null (a);
  g_assert_cmpstr (error->message, ==,
                   "port list entry \"443\": no protocol: write 443/tcp or 443/udp");
}

static void
test_cap (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GArray) a = NULL;

  /* exactly the cap, across protocols and with duplicates that do not count */
  a = rp_portlist_parse ("1-512/tcp 1-512/udp 1-512/tcp", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (a->len, ==, RP_PORTLIST_MAX);
  g_clear_pointer (&a, g_array_unref);

  a = rp_portlist_parse ("1-1024/tcp", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (a->len, ==, RP_PORTLIST_MAX);
  g_assert_cmpuint (g_array_index (a, RpPortSpec, 1023).port, ==, 1024);
  g_clear_pointer (&a, g_array_unref);

  a = rp_portlist_parse ("1-1025/tcp", &error);
  g_assert_null (a);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "\"1-1025/tcp\""));
}

static void
test_long (void)
{
  /* many entries, all duplicates: fine */
  GString *s = g_string_new (NULL);
  for (int i = 0; i < 20000; i++)
    g_string_append (s, "443/tcp,");
  g_autoptr (GError) error = NULL;
  g_autoptr (GArray) a = rp_portlist_parse (s->str, &error);
  g_string_free (s, TRUE);
  g_assert_no_error (error);
  g_assert_cmpuint (a->len, ==, 1);

  /* one huge entry: the message quotes it cut short */
  g_autofree char *digits = g_strnfill (5000, '7');
  g_autoptr (GError) error2 = NULL;
  g_autoptr (GArray) b = rp_portlist_parse (digits, &error2);
  g_assert_null (b);
  g_assert_nonnull (strstr (error2->message, "out of range"));
  g_assert_cmpuint (strlen (error2->message), <, 200);

  /* leading zeros are not echoed back at length */
  g_autofree char *zeros = g_strnfill (5000, '0');
  g_autofree char *padded = g_strdup_printf ("%s1", zeros);
  g_autoptr (GError) error3 = NULL;
  g_autoptr (GArray) c = rp_portlist_parse (padded, &error3);
  g_assert_null (c);
  g_assert_nonnull (strstr (error3->message, "write 1/tcp or 1/udp"));
  g_assert_cmpuint (strlen (error3->message), <, 200);
}

static void
test_to_string (void)
{
  g_assert_cmpstr (rp_port_proto_to_string (RP_PROTO_TCP), ==, "tcp");
  g_assert_cmpstr (rp_port_proto_to_string (RP_PROTO_UDP), ==, "udp");
  g_assert_cmpstr (rp_port_proto_to_string ((RpPortProto) 7), ==, "unknown");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/portlist/good", test_good);
  g_test_add_func ("/portlist/bad", test_bad);
  g_test_add_func ("/portlist/message", test_message);
  g_test_add_func ("/portlist/cap", test_cap);
  g_test_add_func ("/portlist/long", test_long);
  g_test_add_func ("/portlist/to-string", test_to_string);
  return g_test_run ();
}
