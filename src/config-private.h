/*
 * config-private - what the files of the configuration part share: the file being read,
 * the key tables (config_keys.c) and the loader that walks them (config.c), and the
 * section readers kept apart (config_imap.c, config_sweep.c).
 */
#ifndef TICKETD_CONFIG_PRIVATE_H
#define TICKETD_CONFIG_PRIVATE_H

#include <stddef.h>
#include <sys/stat.h>

#include "config.h"

typedef struct {
	const char *path;
	GKeyFile *keys;
	char **lines;               /* the file, for line numbers in errors */
} config_source;

/* config_section - one section being read, and the struct its table's offsets point into. */
typedef struct {
	const config_source *source;
	const char *group;          /* "smtp", "imap:soporte" */
	ticketd_config *config;
	void *target;
} config_section;

typedef enum {
	CONFIG_KIND_INT,            /* a number within [min, max]; a leading 0 means octal */
	CONFIG_KIND_BOOL,           /* yes/no, true/false, on/off */
	CONFIG_KIND_CHOICE,         /* one word of choices, stored as its value */
	CONFIG_KIND_STR,            /* text, stripped */
	CONFIG_KIND_PATH,           /* text, made absolute against the file's directory */
	CONFIG_KIND_OTHER,          /* read by its check alone: lists, addresses, secrets */
} config_kind;

typedef struct {
	const char *name;
	int value;
} config_choice;

typedef struct config_key config_key;

/* config_check - run once the key's value is stored: validates it, or reads an OTHER key. */
typedef gboolean (*config_check)(const config_section *section, const config_key *key, GError **error);

/*
 * config_key - one row of a section's table, after Postfix's CONFIG_INT_TABLE: the key,
 * its default, where its value goes, its bounds. A key without a default leaves its
 * field as the section's reader set it: zero, or a value inherited from elsewhere.
 */
struct config_key {
	const char *name;
	config_kind kind;
	const char *text;           /* default of STR, PATH, CHOICE and OTHER, or NULL */
	gint64 number;              /* default of INT and BOOL */
	gint64 min, max;            /* bounds of INT */
	const config_choice *choices; /* CHOICE, ending with { NULL, 0 } */
	gssize offset;              /* of the field in the section's struct; -1 for OTHER */
	gsize size;                 /* of the field: INT may be an int or a gsize */
	config_check check;
};

#define CONFIG_FIELD(type, field) .offset = offsetof(type, field), .size = sizeof(((type *)0)->field)
#define CONFIG_INT(key, type, field, fallback, low, high) \
	{ .name = key, .kind = CONFIG_KIND_INT, .number = fallback, .min = low, .max = high, CONFIG_FIELD(type, field) }
#define CONFIG_BOOL(key, type, field, fallback) \
	{ .name = key, .kind = CONFIG_KIND_BOOL, .number = fallback, CONFIG_FIELD(type, field) }
#define CONFIG_CHOICE(key, type, field, fallback, names) \
	{ .name = key, .kind = CONFIG_KIND_CHOICE, .text = fallback, .choices = names, CONFIG_FIELD(type, field) }
#define CONFIG_STR(key, type, field, fallback, checked_by) \
	{ .name = key, .kind = CONFIG_KIND_STR, .text = fallback, CONFIG_FIELD(type, field), .check = checked_by }
#define CONFIG_PATH(key, type, field, fallback, checked_by) \
	{ .name = key, .kind = CONFIG_KIND_PATH, .text = fallback, CONFIG_FIELD(type, field), .check = checked_by }
#define CONFIG_OTHER(key, fallback, read_by) \
	{ .name = key, .kind = CONFIG_KIND_OTHER, .text = fallback, .offset = -1, .check = read_by }

/* The tables, one per section (config_keys.c). */
extern const config_key config_ticketd_keys[];
extern const config_key config_department_keys[];
extern const config_key config_lmtp_keys[];
extern const config_key config_smtp_keys[];
extern const config_key config_imap_keys[];
extern const config_key config_sweep_keys[];
extern const config_key config_kb_keys[];
extern const config_choice config_unknown_sender_choices[];
extern const config_choice config_closed_reply_choices[];
/* config_languages - the languages with templates and labels, NULL-terminated. */
extern const char *const config_languages[];
/* config_sweep_default_rules - the rules when [sweep] has none, NULL-terminated. */
extern const char *const config_sweep_default_rules[];

/* The loader (config.c). */
gboolean config_fail(GError **error, const config_source *source, const char *group, const char *key,
                     const char *format, ...) G_GNUC_PRINTF(5, 6);
gboolean config_key_fail(GError **error, const config_section *section, const config_key *key,
                         const char *format, ...) G_GNUC_PRINTF(4, 5);
char *config_string(const config_source *source, const char *group, const char *key, const char *fallback);
/* config_key_text - the key's value as written, else its default; to be freed. */
char *config_key_text(const config_section *section, const config_key *key);
/* config_key_field - where the key's value goes in the section's struct. */
void *config_key_field(const config_section *section, const config_key *key);
char *config_path_absolute(const config_source *source, char *path);
/* config_file_note - remember a file the configuration trusts, for config_check_root_owned. */
void config_file_note(ticketd_config *config, const char *path, const struct stat *st, gboolean daemon_may_own);
gboolean config_read_secret(const config_section *section, const config_key *key, const char *path,
                            char **out, GError **error);
/* config_load_keys - refuse keys the table lacks, then read every row, in table order. */
gboolean config_load_keys(const config_section *section, const config_key *keys, GError **error);

/* Checks of the keys of [imap:NAME] (config_imap.c). */
gboolean config_imap_check_url(const config_section *section, const config_key *key, GError **error);
gboolean config_imap_check_user(const config_section *section, const config_key *key, GError **error);
gboolean config_imap_read_password(const config_section *section, const config_key *key, GError **error);
gboolean config_imap_check_department(const config_section *section, const config_key *key, GError **error);
gboolean config_imap_read_after(const config_section *section, const config_key *key, GError **error);
gboolean config_imap_check_ca_file(const config_section *section, const config_key *key, GError **error);
gboolean config_load_imap_sources(const config_source *source, ticketd_config *config, char **groups,
                                  GError **error);
void config_imap_source_free(gpointer data);

/* [sweep] and [labels] (config_sweep.c). */
gboolean config_sweep_read_remind(const config_section *section, const config_key *key, GError **error);
gboolean config_sweep_read_rules(const config_section *section, const config_key *key, GError **error);
gboolean config_load_labels(const config_source *source, ticketd_config *config, GError **error);
void config_sweep_rule_free(gpointer data);

#endif
