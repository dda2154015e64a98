/*
 * ctl_stats - the queue at a glance: `stats [--json]` counts tickets by status and by
 * department, names the ticket that has waited longest for the desk (open or with a
 * customer's reply, oldest customer word first) and the median time to a first staff reply.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "ctl.h"
#include "status.h"

/* stats_count - one more under key. */
static void
stats_count(GHashTable *counts, const char *key)
{
	g_hash_table_insert(counts, (gpointer)key, GINT_TO_POINTER(GPOINTER_TO_INT(g_hash_table_lookup(counts, key)) + 1));
}

static int
stats_compare_delay(gconstpointer a, gconstpointer b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

/* stats_median - of the delays, sorted in place; -1 when there are none. */
static int64_t
stats_median(GArray *delays)
{
	guint n = delays->len;

	if (n == 0)
		return -1;
	g_array_sort(delays, stats_compare_delay);
	return n % 2 ? g_array_index(delays, int64_t, n / 2)
	             : (g_array_index(delays, int64_t, n / 2 - 1) + g_array_index(delays, int64_t, n / 2)) / 2;
}

/* stats_oldest_waiting - the first ticket in queue order that waits for staff, or NULL. */
static const store_ticket *
stats_oldest_waiting(GPtrArray *tickets)
{
	const store_ticket *oldest = NULL;

	for (guint i = 0; i < tickets->len; i++) {
		const store_ticket *ticket = g_ptr_array_index(tickets, i);
		int64_t word = ticket->last_customer ? ticket->last_customer : ticket->created;

		if (ticket->merged_into != 0 || (strcmp(ticket->status, STATUS_OPEN) != 0 &&
		                                 strcmp(ticket->status, STATUS_CUSTOMER_REPLY) != 0))
			continue;
		if (oldest == NULL || word < (oldest->last_customer ? oldest->last_customer : oldest->created))
			oldest = ticket;
	}
	return oldest;
}

/* stats_json_counts - {"name": count, ...} under member. */
static void
stats_json_counts(JsonBuilder *json, const char *member, GHashTable *counts)
{
	GHashTableIter iter;
	gpointer key, value;

	json_builder_set_member_name(json, member);
	json_builder_begin_object(json);
	g_hash_table_iter_init(&iter, counts);
	while (g_hash_table_iter_next(&iter, &key, &value))
		ctl_json_int(json, key, GPOINTER_TO_INT(value));
	json_builder_end_object(json);
}

/* stats_print_counts - "  name  count" lines, names sorted. */
static void
stats_print_counts(const char *title, GHashTable *counts)
{
	g_autoptr(GList) keys = g_list_sort(g_hash_table_get_keys(counts), (GCompareFunc)strcmp);

	printf("%s:\n", title);
	for (GList *k = keys; k != NULL; k = k->next)
		printf("  %-16s %5d\n", (char *)k->data, GPOINTER_TO_INT(g_hash_table_lookup(counts, k->data)));
}

static void
stats_print(GHashTable *by_status, GHashTable *by_department, const store_ticket *oldest, int64_t median,
            guint total)
{
	printf("%u tickets\n", total);
	stats_print_counts("by status", by_status);
	stats_print_counts("by department", by_department);
	if (oldest != NULL) {
		g_autofree char *when = ctl_time(oldest->last_customer ? oldest->last_customer : oldest->created);

		printf("oldest waiting: %s (%s, customer's last word %s)\n", oldest->code, oldest->status, when);
	} else {
		printf("oldest waiting: none\n");
	}
	if (median >= 0)
		printf("median first staff reply: %" G_GINT64_FORMAT "h%02" G_GINT64_FORMAT "m\n", median / 3600,
		       median % 3600 / 60);
	else
		printf("median first staff reply: no replies yet\n");
}

static void
stats_json(GHashTable *by_status, GHashTable *by_department, const store_ticket *oldest, int64_t median,
           guint total)
{
	g_autoptr(JsonBuilder) json = json_builder_new();

	json_builder_begin_object(json);
	ctl_json_int(json, "tickets", total);
	stats_json_counts(json, "by_status", by_status);
	stats_json_counts(json, "by_department", by_department);
	json_builder_set_member_name(json, "oldest_waiting");
	if (oldest != NULL) {
		json_builder_begin_object(json);
		ctl_json_string(json, "code", oldest->code);
		ctl_json_string(json, "status", oldest->status);
		ctl_json_int(json, "since", oldest->last_customer ? oldest->last_customer : oldest->created);
		json_builder_end_object(json);
	} else {
		json_builder_add_null_value(json);
	}
	json_builder_set_member_name(json, "median_first_reply_seconds");
	if (median >= 0)
		json_builder_add_int_value(json, median);
	else
		json_builder_add_null_value(json);
	json_builder_end_object(json);
	ctl_print_json(json);
}

int
ctl_stats(ctl_context *ctx, int argc, char **argv)
{
	g_autoptr(GPtrArray) tickets = NULL;
	g_autoptr(GArray) delays = NULL;
	g_autoptr(GHashTable) by_status = g_hash_table_new(g_str_hash, g_str_equal);
	g_autoptr(GHashTable) by_department = g_hash_table_new(g_str_hash, g_str_equal);
	g_autoptr(GError) error = NULL;
	int64_t median;
	int code;

	if (!ctl_parse(ctx, "", "Tickets by status and department, the oldest waiting, the median first reply.",
	               NULL, &argc, &argv))
		return EX_USAGE;
	if (argc != 1) {
		fprintf(stderr, "usage: ticketctl stats [--json]\n");
		return EX_USAGE;
	}
	if ((code = ctl_open(ctx)) != EX_OK)
		return code;
	if ((tickets = store_ticket_list(ctx->db, NULL, &error)) == NULL ||
	    (delays = store_ticket_first_replies(ctx->db, &error)) == NULL)
		return ctl_store_error("counting tickets", error);
	for (guint i = 0; i < tickets->len; i++) {
		const store_ticket *ticket = g_ptr_array_index(tickets, i);

		stats_count(by_status, ticket->status);
		stats_count(by_department, ticket->department);
	}
	median = stats_median(delays);
	if (ctx->json)
		stats_json(by_status, by_department, stats_oldest_waiting(tickets), median, tickets->len);
	else
		stats_print(by_status, by_department, stats_oldest_waiting(tickets), median, tickets->len);
	return EX_OK;
}
