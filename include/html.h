/*
 * html - the text of an HTML-only mail, through libxml2's HTML parser (never by
 * hand-written tag stripping): markup, scripts and styles dropped; paragraphs, line
 * breaks, list items and table cells kept as lines.
 */
#ifndef TICKETD_HTML_H
#define TICKETD_HTML_H

#include <glib.h>

/* html_to_text - UTF-8 HTML in, UTF-8 text with LF line ends out; never NULL. */
char *html_to_text(const char *html, gsize length);

#endif
