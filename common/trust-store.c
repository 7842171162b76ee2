/* Finding and loading the system's CA certificates (trust-store.h).
 * SSL_CERT_FILE and SSL_CERT_DIR win, as in OpenSSL, and are taken as they are. Then OpenSSL's own
 * default directory and file (its build's OPENSSLDIR). Then the paths the
 * common distributions use, the first one present. */
#include "common/trust-store.h"

#include <openssl/err.h>
#include <openssl/x509.h>
#include <string.h>

/* Bundles (one PEM file of every CA), then hashed directories. */
static const char *const known_files[] = {
  "/etc/ssl/certs/ca-certificates.crt",                  /* Debian, Ubuntu, Arch, Gentoo, Alpine */
  "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",   /* Fedora, RHEL, CentOS */
  "/etc/pki/tls/certs/ca-bundle.crt",                    /* older Fedora and RHEL */
  "/etc/ssl/ca-bundle.pem",                              /* openSUSE, SLES */
  "/var/lib/ca-certificates/ca-bundle.pem",              /* openSUSE, SLES */
  "/etc/ssl/cert.pem",                                   /* Alpine, Void */
  NULL,
};
static const char *const known_dirs[] = {
  "/etc/ssl/certs", "/etc/pki/tls/certs", "/var/lib/ca-certificates/openssl", NULL,
};

static char *origin;   /* where the store came from, for --version */

/* Whether DIR holds OpenSSL's hashed links (HASH.N, as c_rehash and
 * update-ca-certificates make them). */
static gboolean
has_hash_links (const char *dir)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL) {
    gsize n = strspn (name, "0123456789abcdef");
    if (n == 8 && name[8] == '.' && g_ascii_isdigit (name[9]))
      return TRUE;
  }
  return FALSE;
}

static gboolean
load_dir (X509_STORE *store, const char *dir, const char *why)
{
  if (!has_hash_links (dir) || X509_STORE_load_path (store, dir) != 1)
    return FALSE;
  origin = g_strdup_printf ("%s (hashed directory%s)", dir, why);
  return TRUE;
}

static gboolean
load_file (X509_STORE *store, const char *file, const char *why)
{
  if (!g_file_test (file, G_FILE_TEST_IS_REGULAR) || X509_STORE_load_file (store, file) != 1)
    return FALSE;
  origin = g_strdup_printf ("%s (bundle%s)", file, why);
  return TRUE;
}

static gboolean
load_known (X509_STORE *store)
{
  for (guint i = 0; known_dirs[i] != NULL; i++)
    if (load_dir (store, known_dirs[i], ", a common path"))
      return TRUE;
  for (guint i = 0; known_files[i] != NULL; i++)
    if (load_file (store, known_files[i], ", a common path"))
      return TRUE;
  return FALSE;
}

/* The user named the store (SSL_CERT_FILE, SSL_CERT_DIR): exactly that, as OpenSSL takes it,
 * even a folder without hashed links or a missing file, which then trust nothing. */
static gboolean
load_named (X509_STORE *store, const char *file, const char *dir)
{
  if (file != NULL && X509_STORE_load_file (store, file) != 1)
    ERR_clear_error ();
  if (dir != NULL && X509_STORE_load_path (store, dir) != 1)
    ERR_clear_error ();
  origin = g_strdup_printf ("%s%s%s%s%s", file != NULL ? file : "",
                            file != NULL ? " (SSL_CERT_FILE)" : "",
                            file != NULL && dir != NULL ? ", " : "", dir != NULL ? dir : "",
                            dir != NULL ? " (SSL_CERT_DIR)" : "");
  return TRUE;
}

static X509_STORE *
system_store_new (void)
{
  X509_STORE *store = X509_STORE_new ();
  const char *file = g_getenv (X509_get_default_cert_file_env ());
  const char *dir = g_getenv (X509_get_default_cert_dir_env ());
  gboolean ok;

  if (store == NULL)
    return NULL;
  if (file != NULL || dir != NULL)
    ok = load_named (store, file, dir);
  else
    ok = load_dir (store, X509_get_default_cert_dir (), ", OpenSSL's default")
         || load_file (store, X509_get_default_cert_file (), ", OpenSSL's default")
         || load_known (store);
  if (!ok) {
    origin = g_strdup_printf ("none found (looked in %s, %s and the common paths of Debian, "
                              "Fedora, RHEL, openSUSE and Alpine; set SSL_CERT_FILE)",
                              X509_get_default_cert_dir (), X509_get_default_cert_file ());
    X509_STORE_free (store);
    return NULL;
  }
  return store;
}

X509_STORE *
rp_tls_system_store (void)
{
  static gsize once;
  static X509_STORE *store;   /* shared by every user, for the process */

  if (g_once_init_enter (&once)) {
    store = system_store_new ();
    g_once_init_leave (&once, 1);
  }
  return store;
}

gboolean
rp_tls_load_system_store (SSL_CTX *ctx)
{
  X509_STORE *store = rp_tls_system_store ();

  if (store == NULL)
    return FALSE;
  SSL_CTX_set1_cert_store (ctx, store);
  return TRUE;
}

char *
rp_tls_system_store_describe (void)
{
  rp_tls_system_store ();
  return g_strdup (origin);
}
