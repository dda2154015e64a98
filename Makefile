# ticketd - mail to help-desk tickets.  make; make check; make demo; make install; make uninstall.

PREFIX   ?= /usr/local
SBINDIR  ?= $(PREFIX)/sbin
BINDIR   ?= $(PREFIX)/bin
MANDIR   ?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc
DESTDIR  ?=
UNITDIR  ?= /etc/systemd/system
STATEDIR ?= /var/lib/ticketd
TICKETD_USER ?= ticketd
BUILD    ?= build

CC       ?= cc
PKGS     := glib-2.0 gmime-3.0 sqlite3 libxml-2.0 libcurl gnutls json-glib-1.0
WARN     := -Wall -Wextra -Werror -Wformat=2 -Wformat-security -Wshadow \
            -Wstrict-prototypes -Wmissing-prototypes -Wno-unused-parameter \
            -Wno-missing-field-initializers
HARDEN   := -D_FORTIFY_SOURCE=2 -fstack-protector-strong -fPIE
CFLAGS   ?= -O2 -g
ALL_CFLAGS  = -std=gnu11 $(WARN) $(HARDEN) $(CFLAGS) -Iinclude \
              $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
ALL_LDFLAGS = -pie -Wl,-z,relro,-z,now $(LDFLAGS)
# libetpan.pc carries non-PIE link flags (-no-pie from its build): link it by name.
# libstemmer (Snowball) has no .pc file either.
LIBS     = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -letpan -lstemmer -lpthread -lm

# libticketd.a holds the parts (src/*.c, no main); each program lives in its own folder
# with its private headers, which the library cannot include.
LIB_SRC      := $(wildcard src/*.c)
LIB_OBJ      := $(LIB_SRC:src/%.c=$(BUILD)/obj/%.o)
TICKETD_OBJ  := $(patsubst src/%.c,$(BUILD)/obj/%.o,$(wildcard src/ticketd/*.c))
TICKETCTL_OBJ := $(patsubst src/%.c,$(BUILD)/obj/%.o,$(wildcard src/ticketctl/*.c))
UNIT_SRC := $(wildcard tests/unit/test-*.c)
UNITS    := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
E2E      := $(sort $(wildcard tests/e2e/*.t))
MANPAGES := man/ticketd.8 man/ticketctl.1 man/ticketd.conf.5
TEMPLATES := $(patsubst etc/%,%,$(sort $(wildcard etc/templates/*/*.txt)))
TEMPLATE_DIRS := $(patsubst etc/%,%,$(sort $(wildcard etc/templates/*)))
DEPFILES  = $(LIB_OBJ:.o=.d) $(TICKETD_OBJ:.o=.d) $(TICKETCTL_OBJ:.o=.d) \
            $(UNITS:=.d) $(FUZZ_BINS:=.d)

# Debian packages the build, the tests and the demo need.
DEPS_PKGS := build-essential pkg-config perl sqlite3 openssl mandoc \
             libglib2.0-dev libjson-glib-dev libgmime-3.0-dev libsqlite3-dev libxml2-dev \
             libetpan-dev libcurl4-gnutls-dev libgnutls28-dev libstemmer-dev \
             postfix dovecot-core dovecot-imapd dovecot-lmtpd \
             clang libclang-rt-14-dev valgrind libsisimai-perl

.PHONY: all need-libraries check test check-asan demo deps deps-if-missing install lint lint-man \
        clean bench fuzz fuzz-build

all: need-libraries $(BUILD)/ticketd $(BUILD)/ticketctl

# A build never installs anything: it says what is missing and how to get it.
need-libraries:
	@pkg-config --exists $(PKGS) && [ -e /usr/include/libetpan/libetpan.h ] \
	  && [ -e /usr/include/libstemmer.h ] || { \
	  echo "make: missing build libraries (pkg-config $(PKGS), libetpan, libstemmer);" \
	       "run 'make deps' as root to install them" >&2; exit 1; }

$(BUILD)/obj/%.o: src/%.c | $(BUILD)/obj
	@echo "  CC      $<"
	@$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/obj/ticketd/%.o: src/ticketd/%.c | $(BUILD)/obj/ticketd
	@echo "  CC      $<"
	@$(CC) $(ALL_CFLAGS) -Isrc/ticketd -MMD -MP -c -o $@ $<

$(BUILD)/obj/ticketctl/%.o: src/ticketctl/%.c | $(BUILD)/obj/ticketctl
	@echo "  CC      $<"
	@$(CC) $(ALL_CFLAGS) -Isrc/ticketctl -MMD -MP -c -o $@ $<

$(BUILD)/libticketd.a: $(LIB_OBJ)
	@rm -f $@ && ar rcs $@ $^

$(BUILD)/ticketd: $(TICKETD_OBJ) $(BUILD)/libticketd.a
	@echo "  LD      $@"
	@$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/ticketctl: $(TICKETCTL_OBJ) $(BUILD)/libticketd.a
	@echo "  LD      $@"
	@$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libticketd.a | $(BUILD)/tests
	@echo "  TEST    $@"
	@$(CC) $(ALL_CFLAGS) -MMD -MP -MF $@.d $(ALL_LDFLAGS) -o $@ $< $(BUILD)/libticketd.a $(LIBS)

# A stand-in for a parser bug, preloaded by tests/e2e/73-poison.t (never installed).
$(BUILD)/tests/poison-shim.so: tests/support/poison-shim.c | $(BUILD)/tests
	@echo "  SHIM    $@"
	@$(CC) -shared -fPIC -O1 -Wall -Werror $(shell pkg-config --cflags gmime-3.0) -o $@ $< -ldl

$(BUILD)/obj $(BUILD)/obj/ticketd $(BUILD)/obj/ticketctl $(BUILD)/tests $(BUILD)/fuzz:
	mkdir -p $@

# The suite: GTest units (TAP) and end-to-end scripts, all under prove.
# make check and make demo install what is missing first (make deps), then build.
check: deps-if-missing
	@$(MAKE) --no-print-directory test

test: all $(UNITS) $(BUILD)/tests/poison-shim.so lint
	TICKETD_BUILD=$(abspath $(BUILD)) TICKETD_TOP=$(CURDIR) \
	  prove -f $(UNITS) $(E2E) :: --tap

check-asan:
	$(MAKE) BUILD=build-asan CC=clang \
	  CFLAGS="-O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer" \
	  LDFLAGS="-fsanitize=address,undefined" test

# libFuzzer targets (tests/fuzz/fuzz-*.c), each run FUZZ_SECONDS from its seeds.
FUZZ_SECONDS ?= 60
FUZZ_TARGETS := mail lmtp config quote
FUZZ_BINS    := $(FUZZ_TARGETS:%=$(BUILD)/fuzz/fuzz-%)
FUZZ_FLAGS   := -O1 -g -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all \
                -fno-omit-frame-pointer

fuzz:
	$(MAKE) BUILD=build-fuzz CC=clang CFLAGS="$(FUZZ_FLAGS)" fuzz-build
	sh tests/fuzz/run.sh build-fuzz $(FUZZ_SECONDS) $(FUZZ_TARGETS)

fuzz-build: $(FUZZ_BINS)

$(BUILD)/fuzz/fuzz-%: tests/fuzz/fuzz-%.c $(BUILD)/libticketd.a | $(BUILD)/fuzz
	@echo "  FUZZ    $@"
	@$(CC) $(ALL_CFLAGS) -MMD -MP -MF $@.d -fsanitize=fuzzer $(ALL_LDFLAGS) -o $@ $< $(BUILD)/libticketd.a $(LIBS)

demo: deps-if-missing
	@$(MAKE) --no-print-directory all
	sh tests/support/demo.sh $(abspath $(BUILD))

# LMTP throughput: ticketd against Dovecot's LMTP and smtp-sink (BENCH_MESSAGES=10000).
bench: all
	sh tests/support/bench.sh $(abspath $(BUILD))

# The man pages are clean mdoc; no two public headers include each other, even indirectly.
lint: lint-man
	@sh tests/support/include-cycles.sh include

lint-man:
	mandoc -Tlint -W warning $(MANPAGES)

# make deps: install what is missing, quickly when nothing is.
deps:
	@missing=$$(for p in $(DEPS_PKGS); do \
	  dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; done); \
	if [ -z "$$missing" ]; then echo "make deps: everything is installed"; exit 0; fi; \
	if [ "$$(id -u)" != 0 ]; then \
	  echo "make deps: missing packages: $$missing" >&2; \
	  echo "make deps: run it as root (sudo make deps) to install them with apt-get" >&2; exit 1; fi; \
	echo "make deps: installing $$missing"; \
	echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections; \
	export DEBIAN_FRONTEND=noninteractive; \
	apt-get update -qq && apt-get install -y -qq --no-install-recommends $$missing

deps-if-missing:
	@pkg-config --exists $(PKGS) && [ -e /usr/include/libetpan/libetpan.h ] \
	  && [ -e /usr/include/libstemmer.h ] && command -v prove >/dev/null && command -v mandoc >/dev/null \
	  && command -v postconf >/dev/null || $(MAKE) --no-print-directory deps

# make install: as root, a daemon ready to start. With DESTDIR (packaging) only the
# tree is written, and what a package's postinst must do is printed.
install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 \
	  $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(SYSCONFDIR)/ticketd \
	  $(DESTDIR)$(UNITDIR) $(TEMPLATE_DIRS:%=$(DESTDIR)$(SYSCONFDIR)/ticketd/%)
	install -m 0755 $(BUILD)/ticketd $(DESTDIR)$(SBINDIR)/ticketd
	install -m 0755 $(BUILD)/ticketctl $(DESTDIR)$(BINDIR)/ticketctl
	install -m 0644 man/ticketctl.1 $(DESTDIR)$(MANDIR)/man1/
	install -m 0644 man/ticketd.conf.5 $(DESTDIR)$(MANDIR)/man5/
	install -m 0644 man/ticketd.8 $(DESTDIR)$(MANDIR)/man8/
	for t in $(TEMPLATES); do install -m 0644 etc/$$t $(DESTDIR)$(SYSCONFDIR)/ticketd/$$t; done
	sed 's,/usr/local/sbin,$(SBINDIR),g' etc/ticketd.service > $(BUILD)/ticketd.service
	install -m 0644 $(BUILD)/ticketd.service $(DESTDIR)$(UNITDIR)/ticketd.service
	[ -e $(DESTDIR)$(SYSCONFDIR)/ticketd/ticketd.conf ] || \
	  install -m 0640 etc/ticketd.conf $(DESTDIR)$(SYSCONFDIR)/ticketd/ticketd.conf
	@if [ -n "$(DESTDIR)" ] || [ "$$(id -u)" != 0 ]; then $(MAKE) --no-print-directory install-postinst-note; \
	else $(MAKE) --no-print-directory install-system; fi

# What needs root on the target system: the user, the state directory, owners, the secret.
POSTINST = getent group $(TICKETD_USER) >/dev/null || groupadd --system $(TICKETD_USER); \
  getent passwd $(TICKETD_USER) >/dev/null || useradd --system --gid $(TICKETD_USER) \
    --home-dir $(STATEDIR) --no-create-home --shell /usr/sbin/nologin $(TICKETD_USER); \
  install -d -o $(TICKETD_USER) -g $(TICKETD_USER) -m 0750 $(STATEDIR); \
  chown root:$(TICKETD_USER) $(SYSCONFDIR)/ticketd/ticketd.conf; \
  chmod 0640 $(SYSCONFDIR)/ticketd/ticketd.conf; \
  [ -e $(SYSCONFDIR)/ticketd/secret ] || (umask 027 && od -An -tx1 -N32 /dev/urandom \
    | tr -d "[:space:]" > $(SYSCONFDIR)/ticketd/secret && echo >> $(SYSCONFDIR)/ticketd/secret); \
  chown root:$(TICKETD_USER) $(SYSCONFDIR)/ticketd/secret; \
  chmod 0640 $(SYSCONFDIR)/ticketd/secret

.PHONY: install-system install-postinst-note uninstall
install-system:
	$(POSTINST)
	if command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then systemctl daemon-reload; fi
	@echo "make install: checking the set-up (ticketd check):"
	@$(SBINDIR)/ticketd check -c $(SYSCONFDIR)/ticketd/ticketd.conf && echo "make install: ticketd check found nothing" || \
	  echo "make install: fix what ticketd check says above, then: systemctl enable --now ticketd"

install-postinst-note:
	@echo "make install: the tree is written; as root on the target system, a package's postinst must run:"
	@echo '$(POSTINST)' | sed 's/;  */;\n/g' | sed 's/^/    /'
	@echo "    systemctl daemon-reload; $(SBINDIR)/ticketd check"

# make uninstall: what make install put there; the database, the secret, an edited
# configuration and the user stay (said so).
uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/ticketd $(DESTDIR)$(BINDIR)/ticketctl $(DESTDIR)$(UNITDIR)/ticketd.service \
	  $(DESTDIR)$(MANDIR)/man1/ticketctl.1 $(DESTDIR)$(MANDIR)/man5/ticketd.conf.5 \
	  $(DESTDIR)$(MANDIR)/man8/ticketd.8
	for t in $(TEMPLATES); do rm -f $(DESTDIR)$(SYSCONFDIR)/ticketd/$$t; done
	-rmdir $(TEMPLATE_DIRS:%=$(DESTDIR)$(SYSCONFDIR)/ticketd/%) $(DESTDIR)$(SYSCONFDIR)/ticketd/templates
	if cmp -s etc/ticketd.conf $(DESTDIR)$(SYSCONFDIR)/ticketd/ticketd.conf; then \
	  rm -f $(DESTDIR)$(SYSCONFDIR)/ticketd/ticketd.conf; fi
	-rmdir $(DESTDIR)$(SYSCONFDIR)/ticketd 2>/dev/null
	@echo "make uninstall: kept, if present: $(STATEDIR) (the database), $(SYSCONFDIR)/ticketd/secret," \
	  "an edited $(SYSCONFDIR)/ticketd/ticketd.conf, the $(TICKETD_USER) user"

clean:
	rm -rf build build-asan build-fuzz

-include $(DEPFILES)
