/* The exporter's INI file (`rtcprobe exporter --config`, the documented
 * example examples/exporter.ini): [listen] with the address, the targets it
 * may probe and its limits, and one [module NAME] per kind of probe, whose
 * keys are the command's long options with '_' for '-'. Whether a module's
 * keys are options of its command is decided by the command line, which owns
 * the option tables; this file checks the shape. [watch NAME] is a voice
 * stream kept running to one path (`target`), with the keys of a voice
 * module. */
#pragma once

#include <glib.h>

#include "exporter/exporter-allow.h"

G_BEGIN_DECLS

#define RP_EXPORTER_DEFAULT_ADDRESS "127.0.0.1"
#define RP_EXPORTER_DEFAULT_PORT 9830
#define RP_EXPORTER_MODULES_MAX 256
#define RP_EXPORTER_WATCHES_MAX 32

typedef struct {
  char *name;         /* [module NAME]: letters, digits, '_', '-', '.' */
  char *kind;         /* check ports stun turn ice http ws voice */
  GPtrArray *keys;    /* char *, the option keys in file order (kind left out) */
  GPtrArray *values;  /* char *, their raw values */
  char *target;       /* [watch NAME]: the path (turn: URI or reflector URL); modules: NULL */
} RpExporterModule;

typedef struct {
  char *address;            /* numeric */
  guint16 port;
  RpAllowList *allow;       /* NULL: allow_targets not given, nothing is probed */
  guint max_in_flight;      /* probes at once; more get 503 */
  guint target_rate;        /* probes per minute for one target and module; more get 429 */
  guint max_connections;    /* open HTTP connections; more are closed at once */
  GPtrArray *modules;       /* RpExporterModule *, in file order */
  GPtrArray *watches;       /* RpExporterModule * of kind voice with a target, in file order */
} RpExporterConfig;

/* Loads and checks path. NULL with a one-line error naming the file's group
 * and key. */
RpExporterConfig *rp_exporter_config_load (const char *path, GError **error);
/* The same from bytes (len may include no NUL). */
RpExporterConfig *rp_exporter_config_parse (const char *data, gsize len, GError **error);
void rp_exporter_config_free (RpExporterConfig *c);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RpExporterConfig, rp_exporter_config_free)

const RpExporterModule *rp_exporter_config_module (const RpExporterConfig *c, const char *name);

G_END_DECLS
