# clients.mk -- client tests, systemd checks and unit installation for Sportello.
# Include it from the top-level Makefile (paths below are relative to the repository root):
#
#   include clients/clients.mk
#
# Targets:
#   test-clients    unittest of clients/python/sportello_client.py and clients/sh/sportello-rpc
#                   against the real server ($(SPORTELLO_BIN); skipped if it is not built)
#   test-systemd    systemd-analyze verify of deploy/systemd/*, and a socket-activation run
#   install-units   system user, binaries and units (as root; see the variables below)
#
# This fragment builds nothing: make `test-clients`/`test-systemd` depend on the debug build
# and `install-units` on the release build in the top-level Makefile if wanted.

SPORTELLO_BIN ?= .build/debug/sportello
# The binary that install-units installs.
SPORTELLO_INSTALL_BIN ?= .build/release/sportello
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
UNITDIR ?= /etc/systemd/system
# Units installed by install-units.
SPORTELLO_UNITS ?= sportello.socket sportello.service sportello-deliver.service sportello-deliver.timer sportello-sweep.service sportello-sweep.timer
PYTHON ?= python3

.PHONY: test-clients test-systemd install-units

test-clients:
	SPORTELLO_BIN="$(abspath $(SPORTELLO_BIN))" PYTHONDONTWRITEBYTECODE=1 \
		$(PYTHON) -m unittest discover -s clients/python -v

test-systemd:
	deploy/systemd/verify.sh
	SPORTELLO_BIN="$(abspath $(SPORTELLO_BIN))" deploy/systemd/test_socket_activation.sh

# With DESTDIR set (staging a package) no user is created and systemd is not reloaded.
install-units:
	@test -x "$(SPORTELLO_INSTALL_BIN)" || { \
		echo "install-units: $(SPORTELLO_INSTALL_BIN) not found; build it first (swift build -c release)" >&2; \
		exit 1; }
	@if [ -z "$(DESTDIR)" ] && ! getent passwd sportello >/dev/null; then \
		echo "creating system user sportello"; \
		useradd --system --user-group --no-create-home --home-dir /var/lib/sportello \
			--shell /usr/sbin/nologin --comment "Sportello server" sportello; \
	fi
	install -d -m 0755 "$(DESTDIR)$(BINDIR)" "$(DESTDIR)$(UNITDIR)"
	install -m 0755 "$(SPORTELLO_INSTALL_BIN)" "$(DESTDIR)$(BINDIR)/sportello"
	install -m 0755 clients/sh/sportello-rpc "$(DESTDIR)$(BINDIR)/sportello-rpc"
	for u in $(SPORTELLO_UNITS); do \
		install -m 0644 "deploy/systemd/$$u" "$(DESTDIR)$(UNITDIR)/$$u" || exit 1; \
	done
	@# With Postfix, the services may hand mail to postdrop (see sportello-mail.conf).
	@if getent group postdrop >/dev/null; then \
		for u in sportello.service sportello-deliver.service; do \
			install -d -m 0755 "$(DESTDIR)$(UNITDIR)/$$u.d" && \
			install -m 0644 deploy/systemd/sportello-mail.conf "$(DESTDIR)$(UNITDIR)/$$u.d/sportello-mail.conf" || exit 1; \
		done; \
	fi
	@# Reload only when systemd is the running init (sd_booted(): /run/systemd/system exists);
	@# not in containers, chroots or package builds.
	@if [ -z "$(DESTDIR)" ] && [ -d /run/systemd/system ]; then \
		echo "systemctl daemon-reload"; systemctl daemon-reload; \
	else \
		echo "systemd is not running (or DESTDIR is set): skipping systemctl daemon-reload"; \
	fi
	@echo "Installed. Start with: systemctl enable --now sportello.socket sportello-deliver.timer sportello-sweep.timer"
