/* Secrets zeroed before they are freed (secret.h). */
#include "common/secret.h"

#include <openssl/crypto.h>
#include <string.h>

void
rp_secret_free (RpSecret *secret)
{
  if (secret == NULL)
    return;
  OPENSSL_cleanse (secret, strlen (secret));
  g_free (secret);
}
