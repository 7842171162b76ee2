/* Runs a fuzz target over every file of the corpus directories given on the
 * command line, so seeds and past crashes are replayed by `meson test` without
 * libFuzzer. Exits non-zero when a directory is missing or empty: a corpus run
 * that fed nothing must not pass. */
#include <glib.h>
#include <stdint.h>
#include <stdio.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
main (int argc, char **argv)
{
  guint fed = 0;

  for (int i = 1; i < argc; i++) {
    g_autoptr (GError) error = NULL;
    g_autoptr (GDir) dir = g_dir_open (argv[i], 0, &error);
    const char *name;

    if (dir == NULL) {
      fprintf (stderr, "corpus: %s\n", error->message);
      return 1;
    }
    while ((name = g_dir_read_name (dir)) != NULL) {
      g_autofree char *path = g_build_filename (argv[i], name, NULL);
      g_autofree char *contents = NULL;
      gsize len = 0;

      if (!g_file_get_contents (path, &contents, &len, &error)) {
        fprintf (stderr, "corpus: %s\n", error->message);
        return 1;
      }
      /* Hand the target an exact-size heap copy so ASan sees overreads. */
      g_autofree guint8 *copy = g_memdup2 (contents, len);
      LLVMFuzzerTestOneInput (copy, len);
      fed++;
    }
  }
  if (fed == 0) {
    fprintf (stderr, "corpus: no inputs found\n");
    return 1;
  }
  printf ("%u corpus inputs ran\n", fed);
  return 0;
}
