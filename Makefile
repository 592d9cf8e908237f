# Memo's whole workflow. The only set-up step is `deps`, which every build target runs.
SWIFT ?= swift
TSAN_SCRATCH ?= .build-tsan
# Seconds a test run may take before Scripts/watchdog.sh reports what hangs and kills it
# (a whole run takes under two minutes here, under ThreadSanitizer too).
TEST_LIMIT ?= 1200

.PHONY: deps build test demo demo-fleet bench profile-hit profile-misses valgrind tsan docs format

# The system libraries: libxxhash-dev (Sources/Cxxhash) and libsqlite3-dev (Sources/CSQLite,
# the index of persistent directories). Installed when missing and running as root with
# apt-get; otherwise we stop and print the exact command.
SYSTEM_PACKAGES = libxxhash-dev libsqlite3-dev pkg-config
deps:
	@if ! pkg-config --exists libxxhash sqlite3 2>/dev/null || [ ! -f /usr/include/xxhash.h ] \
	    || [ ! -f /usr/include/sqlite3.h ]; then \
	  if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "make: installing $(SYSTEM_PACKAGES) with apt-get"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(SYSTEM_PACKAGES) >/dev/null || exit 1; \
	  else \
	    echo "make: system libraries are missing; run: sudo apt-get update && sudo apt-get install -y $(SYSTEM_PACKAGES)"; \
	    exit 1; \
	  fi; \
	fi

build: deps
	$(SWIFT) build

# Everything is built first (tests and products): the key tests run memo-demo as a
# second process. The tests run beside a throwaway PostgreSQL server (the shared tier's
# tests; Scripts/throwaway-postgres.sh installs Debian's postgresql when root and missing,
# and stops the server when the tests end, pass or fail). The suites that bound a wall-clock
# time run alone after the rest (Scripts/run-tests.sh).
test: deps
	$(SWIFT) build --build-tests
	Scripts/throwaway-postgres.sh run Scripts/watchdog.sh $(TEST_LIMIT) Scripts/run-tests.sh $(SWIFT) --skip-build

# The demo fills a persistent cache in DEMO_DIR (emptied first, so the run starts cold),
# then shows it with the `memo` tool.
DEMO_DIR ?= $(CURDIR)/.build/demo-cache
demo: deps
	$(SWIFT) build -c release --product memo-demo
	$(SWIFT) build -c release --product memo
	rm -rf "$(DEMO_DIR)"
	"$$($(SWIFT) build -c release --show-bin-path)/memo-demo" --directory "$(DEMO_DIR)"
	@echo
	@echo '$$ memo stats $(DEMO_DIR)'
	@"$$($(SWIFT) build -c release --show-bin-path)/memo" stats "$(DEMO_DIR)"
	@echo
	@echo '$$ memo list $(DEMO_DIR) --function spectrum | head'
	@"$$($(SWIFT) build -c release --show-bin-path)/memo" list "$(DEMO_DIR)" --function spectrum | head

# Three workers share the demo's 24 spectra through a throwaway PostgreSQL server.
demo-fleet: deps
	$(SWIFT) build -c release --product memo-fleet-demo
	Scripts/throwaway-postgres.sh run \
	    Scripts/demo-fleet.sh "$$($(SWIFT) build -c release --show-bin-path)/memo-fleet-demo"

# Instructions per memoized hit, counted by callgrind.
profile-hit: valgrind
	Scripts/profile-hit.sh $(PROFILE)

# Data-cache misses per hit among 1,000,000 entries, for the cache and for scenario 4b's
# dictionary, counted by cachegrind's cache simulation.
profile-misses: valgrind
	Scripts/profile-misses.sh

# valgrind, installed when missing and running as root.
valgrind: deps
	@if ! command -v valgrind >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq valgrind >/dev/null || exit 1; \
	  else \
	    echo "make: valgrind is missing; run: sudo apt-get install -y valgrind"; exit 1; \
	  fi; \
	fi

# With a throwaway PostgreSQL server for the shared tier's scenarios (12 and 13).
bench: deps
	$(SWIFT) build -c release --product memo-bench
	$(SWIFT) build -c release --product memo-fleet-worker
	Scripts/throwaway-postgres.sh run "$$($(SWIFT) build -c release --show-bin-path)/memo-bench"

# The whole test suite under ThreadSanitizer, in its own build folder.
tsan: deps
	$(SWIFT) build --build-tests --sanitize=thread --scratch-path $(TSAN_SCRATCH)
	Scripts/throwaway-postgres.sh run Scripts/watchdog.sh $(TEST_LIMIT) \
	    Scripts/run-tests.sh $(SWIFT) --skip-build --sanitize=thread --scratch-path $(TSAN_SCRATCH)

# The DocC catalogs of Memo, MemoTesting and MemoPostgres (swift-docc-plugin); any warning
# fails.
docs: deps
	$(SWIFT) package --disable-sandbox generate-documentation --target Memo --target MemoTesting \
	    --target MemoPostgres --warnings-as-errors

format:
	$(SWIFT) format --in-place --recursive Sources Tests Benchmarks Package.swift
