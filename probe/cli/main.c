/* rtcprobe: from where you stand, does every path a realtime deployment
 * needs work, and how good is the voice path? See probe/cli.c. */
#include "probe/cli/cli.h"

int
main (int argc, char **argv)
{
  return rp_cli_main (argc, argv);
}
