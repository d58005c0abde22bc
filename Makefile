# Bounce: the two commands a new user runs are `make demo` and `make test`.
BUILD_DIR ?= build
BUILD_TYPE ?= Release
JOBS ?= $(shell nproc 2>/dev/null || echo 2)

SANITIZE_DIR ?= build-sanitize
SANITIZE ?= address,undefined

FUZZ_DIR ?= build-fuzz
FUZZ_SECONDS ?= 600

.PHONY: all deps configure build test test-sanitize fuzz fuzz-ci demo bench clean

all: build

deps:
	@bash scripts/install-deps.sh

configure: deps
	@cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) >/dev/null

build: configure
	@cmake --build $(BUILD_DIR) -j $(JOBS)

test: build
	@cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS)

# The whole suite built with AddressSanitizer and UndefinedBehaviorSanitizer (issue 18):
# any finding stops the test that hit it. About 12 minutes to build and 8 to run on 2 cores.
test-sanitize: deps
	@cmake -S . -B $(SANITIZE_DIR) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBOUNCE_SANITIZE=$(SANITIZE) -DBOUNCE_BUILD_BENCH=OFF >/dev/null
	@cmake --build $(SANITIZE_DIR) -j $(JOBS)
	@cd $(SANITIZE_DIR) && ctest --output-on-failure -j $(JOBS) --timeout 900

# The libFuzzer targets (fuzz/: the session, chain and album parsers, the audio reader,
# the service's job fields), built with clang, ASan and UBSan, FUZZ_SECONDS each (10 min).
fuzz: deps
	@CC=clang CXX=clang++ cmake -S . -B $(FUZZ_DIR) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBOUNCE_FUZZ=ON -DBOUNCE_BUILD_BENCH=OFF \
		-DBUILD_TESTING=OFF >/dev/null
	@cmake --build $(FUZZ_DIR) -j $(JOBS) --target fuzz_session fuzz_chain fuzz_album fuzz_audio fuzz_job_fields
	@bash scripts/fuzz.sh $(FUZZ_DIR) $(FUZZ_SECONDS)

# CI's run: a minute per target.
fuzz-ci:
	@$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=60

demo: build
	@bash scripts/demo.sh $(BUILD_DIR)

bench: build
	@bash scripts/bench.sh $(BUILD_DIR)

clean:
	rm -rf $(BUILD_DIR) $(SANITIZE_DIR) $(FUZZ_DIR) demo-out
