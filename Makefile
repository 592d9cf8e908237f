# Memo's whole workflow. The only set-up step is `deps`, which every build target runs.
SWIFT ?= swift
TSAN_SCRATCH ?= .build-tsan

.PHONY: deps build test demo bench tsan format

# libxxhash-dev is the one system dependency (Sources/Cxxhash). Installed when missing and
# running as root with apt-get; otherwise we stop and print the exact command.
deps:
	@if ! pkg-config --exists libxxhash 2>/dev/null || [ ! -f /usr/include/xxhash.h ]; then \
	  if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "make: installing libxxhash-dev with apt-get"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libxxhash-dev pkg-config >/dev/null || exit 1; \
	  else \
	    echo "make: libxxhash-dev is missing; run: sudo apt-get update && sudo apt-get install -y libxxhash-dev pkg-config"; \
	    exit 1; \
	  fi; \
	fi

build: deps
	$(SWIFT) build

# Everything is built first (tests and products): the key tests run memo-demo as a
# second process.
test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

demo: deps
	$(SWIFT) run -c release memo-demo

bench: deps
	$(SWIFT) run -c release memo-bench

# The whole test suite under ThreadSanitizer, in its own build folder.
tsan: deps
	$(SWIFT) build --build-tests --sanitize=thread --scratch-path $(TSAN_SCRATCH)
	$(SWIFT) test --skip-build --sanitize=thread --scratch-path $(TSAN_SCRATCH)

format:
	$(SWIFT) format --in-place --recursive Sources Tests Benchmarks Package.swift
