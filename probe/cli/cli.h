/* The command line: global options, commands and their options, and what
 * runs them. main() only calls rp_cli_main(). */
#pragma once

int rp_cli_main (int argc, char **argv);
