/*
 * test-limits - every input limit of mime_parse, with a message at the limit (no
 * report) and one just over it (reported in limit_exceeded, nothing lost from what was
 * within); and ingest holding an over-limit message whole, with the limit as reason.
 */
#include <glib/gstdio.h>
#include <sqlite3.h>
#include <string.h>

#include "ingest.h"

#define FROM "From: Juan <juan@example.com>\r\nTo: soporte@example.com\r\n"
#define MIME "MIME-Version: 1.0\r\n"

/* parse_limit - the limit_exceeded of a message, NULL when within every limit. */
static char *
parse_limit(const GString *raw)
{
	g_autoptr(parsed_message) message = mime_parse(raw->str, raw->len);

	return g_strdup(message->limit_exceeded);
}

/* expect_limit - raw at the limit passes, one over reports `reason`. */
static void
expect_limit(GString *at, GString *over, const char *reason)
{
	g_autofree char *within = parse_limit(at);
	g_autofree char *exceeded = parse_limit(over);

	g_assert_null(within);
	g_assert_nonnull(exceeded);
	g_assert_nonnull(strstr(exceeded, reason));
	g_string_free(at, TRUE);
	g_string_free(over, TRUE);
}

/* header_fields - a message with `fields` header fields in all, names ending in `colon`. */
static GString *
header_fields(guint fields, const char *colon)
{
	GString *raw = g_string_new(FROM);

	for (guint i = 2; i < fields; i++)
		g_string_append_printf(raw, "X-Campo-%u%s valor\r\n", i, colon);
	g_string_append(raw, "\r\nhola\r\n");
	return raw;
}

static void
test_header_fields(void)
{
	expect_limit(header_fields(MIME_HEADER_FIELDS_MAX, ":"), header_fields(MIME_HEADER_FIELDS_MAX + 1, ":"),
	             "more than 1000 header fields");
	/* The obsolete space before the colon is still a field, to GMime and to the count. */
	expect_limit(header_fields(MIME_HEADER_FIELDS_MAX, " :"), header_fields(MIME_HEADER_FIELDS_MAX + 1, " :"),
	             "more than 1000 header fields");
}

/* header_bytes - a header block of exactly `bytes` bytes, its last CRLF included. */
static GString *
header_bytes(gsize bytes)
{
	GString *raw = g_string_new(FROM "X-Relleno: ");

	while (raw->len < bytes - 2)
		g_string_append_c(raw, 'a');
	g_string_append(raw, "\r\n\r\nhola\r\n");
	return raw;
}

static void
test_header_bytes(void)
{
	expect_limit(header_bytes(MIME_HEADER_BYTES_MAX), header_bytes(MIME_HEADER_BYTES_MAX + 1),
	             "header over 262144 bytes");
}

/* nested - multiparts inside each other, the text leaf at `depth` (the top part is 0). */
static GString *
nested(guint depth)
{
	GString *raw = g_string_new(FROM MIME);

	for (guint i = 0; i < depth; i++)
		g_string_append_printf(raw, "Content-Type: multipart/mixed; boundary=\"b%u\"\r\n\r\n"
		                       "--b%u\r\n", i, i);
	g_string_append(raw, "Content-Type: text/plain\r\n\r\nhondo\r\n");
	for (guint i = depth; i-- > 0;)
		g_string_append_printf(raw, "--b%u--\r\n", i);
	return raw;
}

static void
test_depth(void)
{
	expect_limit(nested(MIME_DEPTH_MAX), nested(MIME_DEPTH_MAX + 1), "nested deeper than 32");
}

/*
 * many_parts - a multipart of `parts` entities in all, itself included: alternatives of
 * the text, so only the part count (not the attachment count) can be over its limit.
 */
static GString *
many_parts(guint parts)
{
	GString *raw = g_string_new(FROM MIME "Content-Type: multipart/alternative; boundary=\"b\"\r\n\r\n");

	for (guint i = 1; i < parts; i++)
		g_string_append_printf(raw, "--b\r\nContent-Type: text/plain\r\n\r\nparte %u\r\n", i);
	g_string_append(raw, "--b--\r\n");
	return raw;
}

static void
test_parts(void)
{
	expect_limit(many_parts(MIME_PARTS_MAX), many_parts(MIME_PARTS_MAX + 1), "more than 500 MIME parts");
}

/* attachments - a body and `count` small files. */
static GString *
attachments(guint count)
{
	GString *raw = g_string_new(FROM MIME "Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n"
	                            "--b\r\nContent-Type: text/plain\r\n\r\nvan los logs\r\n");

	for (guint i = 1; i <= count; i++)
		g_string_append_printf(raw, "--b\r\nContent-Type: application/octet-stream\r\n"
		                       "Content-Disposition: attachment; filename=\"log-%u.bin\"\r\n\r\n"
		                       "datos %u\r\n", i, i);
	g_string_append(raw, "--b--\r\n");
	return raw;
}

static void
test_attachment_count(void)
{
	GString *over = attachments(MIME_ATTACHMENT_COUNT_MAX + 1);
	g_autoptr(parsed_message) message = mime_parse(over->str, over->len);

	/* The first hundred are listed with their data, the rest is in the raw message. */
	g_assert_cmpuint(message->attachments->len, ==, MIME_ATTACHMENT_COUNT_MAX);
	g_assert_cmpuint(((mail_attachment *)g_ptr_array_index(message->attachments, 99))->size, ==, 9);
	expect_limit(attachments(MIME_ATTACHMENT_COUNT_MAX), over, "more than 100 attachments");
}

/* big_attachment - one base64 attachment of `size` decoded bytes. */
static GString *
big_attachment(gsize size)
{
	GString *raw = g_string_new(FROM MIME "Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n"
	                            "--b\r\nContent-Type: text/plain\r\n\r\nla copia\r\n"
	                            "--b\r\nContent-Type: application/octet-stream\r\n"
	                            "Content-Disposition: attachment; filename=\"copia.tar\"\r\n"
	                            "Content-Transfer-Encoding: base64\r\n\r\n");
	g_autofree guchar *data = g_malloc(size);
	g_autofree char *encoded = NULL;
	gsize length;

	memset(data, 'x', size);
	encoded = g_base64_encode(data, size);
	length = strlen(encoded);
	/* Lines of 76 with CRLF, as mailers write them (GMime mis-reads mixed line ends). */
	for (gsize at = 0; at < length; at += 76) {
		g_string_append_len(raw, encoded + at, (gssize)MIN(76, length - at));
		g_string_append(raw, "\r\n");
	}
	g_string_append(raw, "--b--\r\n");
	return raw;
}

static void
test_attachment_size(void)
{
	GString *at = big_attachment(MIME_ATTACHMENT_BYTES_MAX);
	g_autoptr(parsed_message) message = mime_parse(at->str, at->len);

	g_assert_cmpuint(message->attachments->len, ==, 1);
	g_assert_cmpuint(((mail_attachment *)g_ptr_array_index(message->attachments, 0))->size, ==,
	                 MIME_ATTACHMENT_BYTES_MAX);
	expect_limit(at, big_attachment(MIME_ATTACHMENT_BYTES_MAX + 1), "copia.tar is over 16777216 bytes");
}

/* forwarded - a 200 KB file inside `levels` messages forwarded as attachments. */
static GString *
forwarded(guint levels)
{
	GString *raw = g_string_new(NULL);
	g_autofree char *file = g_strnfill(200 * 1024, 'z');

	g_string_printf(raw, FROM MIME "Subject: nivel 0\r\nContent-Type: multipart/mixed; boundary=\"f\"\r\n\r\n"
	                "--f\r\nContent-Type: text/plain\r\n\r\nel archivo\r\n--f\r\n"
	                "Content-Type: application/octet-stream\r\n"
	                "Content-Disposition: attachment; filename=\"datos.bin\"\r\n\r\n%s\r\n--f--\r\n", file);
	for (guint i = 1; i <= levels; i++) {
		g_autofree char *inner = g_string_free(raw, FALSE);

		raw = g_string_new(NULL);
		g_string_printf(raw, FROM MIME "Subject: nivel %u\r\n"
		                "Content-Type: multipart/mixed; boundary=\"f%u\"\r\n\r\n"
		                "--f%u\r\nContent-Type: text/plain\r\n\r\nreenvio\r\n--f%u\r\n"
		                "Content-Type: message/rfc822\r\n\r\n%s\r\n--f%u--\r\n", i, i, i, i, inner, i);
	}
	return raw;
}

/* Each forward lists the whole inner message again: the decoded-size ratio stops that. */
static void
test_decoded_ratio(void)
{
	guint levels;

	for (levels = 1; levels < 16; levels++) {
		GString *raw = forwarded(levels);
		g_autofree char *exceeded = parse_limit(raw);

		if (exceeded != NULL) {
			g_assert_nonnull(strstr(exceeded, "decoded attachments are over"));
			expect_limit(forwarded(levels - 1), raw, "8 times the message");
			break;
		}
		g_string_free(raw, TRUE);
	}
	g_assert_cmpuint(levels, >, 1);
	g_assert_cmpuint(levels, <, 16);
}

/* count_held - rows in the held table with this reason. */
static int
count_held(const char *db, const char *reason, gsize raw_length)
{
	sqlite3 *handle = NULL;
	sqlite3_stmt *statement = NULL;
	int count;

	g_assert_cmpint(sqlite3_open(db, &handle), ==, SQLITE_OK);
	g_assert_cmpint(sqlite3_prepare_v2(handle, "SELECT count(*) FROM held WHERE reason = ?1 "
	                                   "AND length(raw) = ?2", -1, &statement, NULL), ==, SQLITE_OK);
	sqlite3_bind_text(statement, 1, reason, -1, SQLITE_STATIC);
	sqlite3_bind_int64(statement, 2, (sqlite3_int64)raw_length);
	g_assert_cmpint(sqlite3_step(statement), ==, SQLITE_ROW);
	count = sqlite3_column_int(statement, 0);
	sqlite3_finalize(statement);
	sqlite3_close(handle);
	return count;
}

/* An over-limit message is held whole with its reason, once however often it comes. */
static void
test_ingest_holds(void)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *dir = g_dir_make_tmp("test-limits-XXXXXX", &error);
	g_autofree char *conf = g_build_filename(dir, "ticketd.conf", NULL);
	g_autofree char *db = g_build_filename(dir, "ticketd.db", NULL);
	g_autofree char *text = g_strdup_printf("[ticketd]\ndatabase = %s\ndomain = example.com\n\n"
	                                        "[department:soporte]\nname = Soporte\n"
	                                        "address = soporte@example.com\n", db);
	g_autoptr(ticketd_config) config = NULL;
	g_autoptr(store) handle = NULL;
	GString *raw = attachments(MIME_ATTACHMENT_COUNT_MAX + 1);
	const char *reason = "over an input limit: more than 100 attachments";

	g_assert_no_error(error);
	g_assert_true(g_file_set_contents_full(conf, text, -1, G_FILE_SET_CONTENTS_NONE, 0640, &error));
	config = config_load(conf, &error);
	g_assert_no_error(error);
	handle = store_open(db, &error);
	g_assert_no_error(error);
	for (int delivery = 0; delivery < 2; delivery++) {
		g_autoptr(inbound) mail = inbound_new("test", raw->str, raw->len, "juan@example.com");
		ingest_result result = { 0 };

		ingest_message(config, handle, mail, "soporte@example.com", &result);
		g_assert_cmpint(result.failure.class, ==, FAILURE_OK);
		g_assert_cmpint(result.decision.action, ==, delivery == 0 ? ACTION_HOLD : ACTION_DUPLICATE);
		if (delivery == 0)
			g_assert_cmpstr(result.decision.reason, ==, reason);
		ingest_result_clear(&result);
	}
	g_assert_cmpint(count_held(db, reason, raw->len), ==, 1);
	g_string_free(raw, TRUE);
	g_clear_pointer(&handle, store_close);
	for (const char *const *name = (const char *const[]){ "ticketd.db", "ticketd.db-wal", "ticketd.db-shm",
	                                                      "ticketd.conf", NULL }; *name; name++) {
		g_autofree char *path = g_build_filename(dir, *name, NULL);

		g_unlink(path);
	}
	g_rmdir(dir);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	mime_init();
	g_test_add_func("/limits/header-fields", test_header_fields);
	g_test_add_func("/limits/header-bytes", test_header_bytes);
	g_test_add_func("/limits/depth", test_depth);
	g_test_add_func("/limits/parts", test_parts);
	g_test_add_func("/limits/attachment-count", test_attachment_count);
	g_test_add_func("/limits/attachment-size", test_attachment_size);
	g_test_add_func("/limits/decoded-ratio", test_decoded_ratio);
	g_test_add_func("/limits/ingest-holds", test_ingest_holds);
	return g_test_run();
}
