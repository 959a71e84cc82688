# Sportello — set-up, build, run, test and benchmark.
#   make run    installs what is missing, builds, serves ./var/sportello.sock on ./var/sportello.db
#   make test   installs what is missing, builds with tests, runs every suite
#   make bench  the performance figures (release build)
#   make fuzz   libFuzzer over the MIME parser for FUZZ_SECONDS (default 60)

SWIFT        ?= swift
PREFIX       ?= /usr/local
VAR          ?= $(CURDIR)/var
SOCKET       ?= $(VAR)/sportello.sock
DATABASE     ?= $(VAR)/sportello.db
# chromium: the end-to-end tests look at the printable SLA report in headless Chromium.
# postfix: the mail suite hands notifications to a real Postfix (installed local only).
# neovim: the editor plugin's suite drives clients/nvim in headless Neovim (0.7 or later).
DEB_PACKAGES := libsqlite3-dev libsystemd-dev libargon2-dev zlib1g-dev pkg-config socat python3 systemd strace postfix chromium neovim
SUDO         := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
DEBUG_BIN     = $(CURDIR)/.build/debug/sportello
RELEASE_BIN   = $(CURDIR)/.build/release/sportello

.PHONY: all deps build release run test test-swift test-contract test-mail test-editor test-replies test-fuzz fuzz bench install clean

all: build

## Debian packages and Python's jsonschema (for the contract tests), installed only when missing.
deps:
	@command -v $(SWIFT) >/dev/null || { echo "Swift 6 is required (https://swift.org/install): '$(SWIFT)' is not on PATH" >&2; exit 1; }
	@missing=""; for p in $(DEB_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		printf '%s\n' "postfix postfix/main_mailer_type select Local only" \
			"postfix postfix/mailname string sportello.test" | $(SUDO) debconf-set-selections; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi
	@python3 -c 'import jsonschema' 2>/dev/null || { \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq python3-jsonschema >/dev/null 2>&1; \
		python3 -c 'import jsonschema' 2>/dev/null || python3 -m pip install --quiet jsonschema; }

build: deps
	$(SWIFT) build --product sportello

release: deps
	$(SWIFT) build -c release --product sportello

run: release
	@mkdir -p $(VAR)
	@echo "Sportello is serving on $(SOCKET) (database $(DATABASE)). From another shell:"
	@echo "  clients/sh/sportello-rpc --socket $(SOCKET) server.ping"
	@echo "  python3 clients/python/sportello_client.py --socket $(SOCKET) server.info"
	@echo "Notifications are delivered into the Maildir $(VAR)/mail (read it with any mail client, or mutt -f $(VAR)/mail)."
	@echo "Stop it with Ctrl-C."
	$(RELEASE_BIN) serve --socket $(SOCKET) --database $(DATABASE) --maildir $(VAR)/mail

## Every suite; swift test prints its summary, the Python suites theirs.
## The end-to-end and client suites log every result they receive to REPLY_LOG; test-replies
## then checks each against its method's result schema. Servers started by the suites deliver
## their notifications into a Maildir under .build/ (SPORTELLO_MAILDIR), except the mail suite's,
## which goes through Postfix.
REPLY_LOG := $(CURDIR)/.build/reply-log.jsonl
test: deps
	$(SWIFT) build --build-tests
	rm -f $(REPLY_LOG)
	$(MAKE) --no-print-directory test-swift test-contract test-clients test-editor test-systemd test-mail test-replies test-fuzz \
		SPORTELLO_BIN=$(DEBUG_BIN) SPORTELLO_REPLY_LOG=$(REPLY_LOG) SPORTELLO_MAILDIR=$(CURDIR)/.build/test-mail

## Every Swift suite is written with Swift Testing; XCTest's runner would only print "Executed 0 tests".
## The suites that load the machine on purpose (a client that never reads its replies, 100,000
## commits, 25 MiB mails) and those that hold times to a bound (1,000 connections, a stalled
## client; another process's change heard within a second) run after the others, one at a time:
## on 2 cores the parallel run of the rest would otherwise be measured with them.
HEAVY_SUITES := BackpressureTests|WALBoundTests|MailInLimitsTests|LoadTests|EventsAcrossProcessesTests
test-swift:
	$(SWIFT) test --skip-build --disable-xctest --skip '$(HEAVY_SUITES)'
	$(SWIFT) test --skip-build --disable-xctest --no-parallel --filter '$(HEAVY_SUITES)'

test-contract:
	SPORTELLO_BIN=$(DEBUG_BIN) python3 -m unittest discover -s Tests/Contract -p 'test_openrpc.py' -v

## Notifications through a real Postfix (local only, installed by deps) into a local mailbox.
test-mail:
	SPORTELLO_BIN=$(DEBUG_BIN) python3 -m unittest discover -s Tests/Mail -v

## The Neovim plugin (clients/nvim), headless, against the real server on a socket and on stdio.
test-editor:
	SPORTELLO_BIN=$(DEBUG_BIN) PYTHONDONTWRITEBYTECODE=1 python3 -m unittest discover -s clients/nvim/tests -v

test-replies:
	SPORTELLO_REPLY_LOG=$(SPORTELLO_REPLY_LOG) python3 -m unittest discover -s Tests/Contract -p 'test_replies.py' -v

## libFuzzer over SportelloMail (fuzz/MIMEFuzz/main.swift reads everything an agent's view of a
## mail reads). swiftc compiles the library's sources with the target, not through SwiftPM, so
## that only this binary carries the fuzzer and AddressSanitizer instrumentation; lld links it
## (gold warns about every ASan symbol). It builds in about 25 s on two cores. The run is bounded
## by FUZZ_SECONDS and starts from the committed seeds in fuzz/corpus (the mail fixtures, edge
## cases and every input that once crashed, hung or went quadratic); what it discovers goes to a
## scratch corpus under .build, not committed. A crash, leak, timeout (-timeout, per input) or
## memory blow-up (-rss_limit_mb) stops it with a non-zero status and the input written to
## .build/fuzz/ (crash-*, leak-*, timeout-*, oom-*): commit it to fuzz/corpus with its fix.
## -max_len lets mutations reach 64 KiB, beyond the biggest seed; longer inputs are the
## Robustness suite's (megabyte-sized, deterministic).
SWIFTC       ?= swiftc
FUZZ_SECONDS ?= 60
FUZZ_DIR      = $(CURDIR)/.build/fuzz
FUZZ_BIN      = $(FUZZ_DIR)/mime-fuzz
FUZZ_SCRATCH ?= $(FUZZ_DIR)/scratch
FUZZ_SOURCES  = $(wildcard Sources/SportelloMail/*.swift) fuzz/MIMEFuzz/main.swift

$(FUZZ_BIN): $(FUZZ_SOURCES)
	@mkdir -p $(FUZZ_DIR)
	$(SWIFTC) -sanitize=fuzzer,address -parse-as-library -O -g -use-ld=lld -module-name MIMEFuzz \
		$(FUZZ_SOURCES) -o $@

fuzz: $(FUZZ_BIN)
	@mkdir -p $(FUZZ_SCRATCH)
	$(FUZZ_BIN) -max_total_time=$(FUZZ_SECONDS) -max_len=65536 -rss_limit_mb=2048 -timeout=5 \
		-dict=fuzz/mime.dict -print_final_stats=1 -artifact_prefix=$(FUZZ_DIR)/ \
		$(FUZZ_SCRATCH) fuzz/corpus

## make test's share: a short run, so a change that crashes on the seeds or near them is caught.
## Its scratch corpus starts empty: libFuzzer first runs every input it is given, and the
## thousands a long `make fuzz` collects would take longer than the 20 seconds.
test-fuzz:
	rm -rf $(FUZZ_DIR)/scratch-test
	$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=20 FUZZ_SCRATCH=$(FUZZ_DIR)/scratch-test

bench: deps
	$(SWIFT) build -c release --product sportello
	$(SWIFT) build -c release --product sportello-bench
	$(CURDIR)/.build/release/sportello-bench --server $(RELEASE_BIN)

## Installs the binary, the shell client and the systemd units; creates the service user
## (see clients/clients.mk).
install: release install-units

clean:
	$(SWIFT) package clean

# test-clients, test-systemd, install-units (after every target here, so `make` alone builds)
include clients/clients.mk
