# sluice - build with `make`, test with `make test`, sanitizers with `make SAN=1 test`.
# Dependencies are found with pkg-config; scripts/deps.sh installs them on Debian 12.

PKGS     := sqlite3 libfyaml libcrypto libzstd zlib snappy
# loaded at run time (dlopen) by the daemon's HTTP endpoint and notifiers: headers only here,
# so `once` and `check` do not map them and their ~30 dependencies (src/obs/mhd_dl.h)
DLPKGS   := libmicrohttpd libcurl
VERSION  := 0.1.0
CC       ?= cc
SAN      ?= 0

WARN     := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wformat=2 -Wpedantic \
            -Wno-format-nonliteral -Wno-format-truncation
CPPFLAGS := -Isrc -D_GNU_SOURCE -DSLUICE_VERSION='"$(VERSION)"'
CFLAGS   := -std=c11 $(WARN) $(shell pkg-config --cflags $(PKGS) $(DLPKGS))
LDLIBS   := $(shell pkg-config --libs $(PKGS)) -lm -lpthread
TEST_LIBS := $(shell pkg-config --libs libcurl) # the live tests' own HTTP client

ifeq ($(SAN),1)
BUILD    := build-asan
CFLAGS   += -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
LDFLAGS  += -fsanitize=address,undefined
else ifeq ($(SAN),fuzz)
# `make fuzz`: libFuzzer harnesses (fuzz/*.c) over the library built with clang + ASan/UBSan.
BUILD    := build-fuzz
CC       := clang
CFLAGS   += -O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer-no-link,address,undefined \
            -fno-sanitize-recover=all -Wno-unknown-warning-option
else
BUILD    ?= build
# Release hardening: fortified libc calls (level 3 when the compiler knows it, else 2), stack
# protector, PIE, full RELRO.
FORTIFY  := $(shell printf '\043include <stdio.h>\n\043if __USE_FORTIFY_LEVEL < 3\n\043error\n\043endif\n' \
              | $(CC) -x c -O2 -D_FORTIFY_SOURCE=3 -E -o /dev/null - 2>/dev/null && echo 3 || echo 2)
CFLAGS   += -O2 -g -U_FORTIFY_SOURCE -D_FORTIFY_SOURCE=$(FORTIFY) -fstack-protector-strong -fPIE
LDFLAGS  += -pie -Wl,-z,relro,-z,now
endif

SRC      := $(shell find src -name '*.c' ! -path src/main.c | sort)
OBJ      := $(SRC:%.c=$(BUILD)/%.o)
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
BIN      := $(BUILD)/sluice

.PHONY: all test test-run unit bench demo clean deps asan valgrind fuzz fuzz-build lint
all: $(BIN) sluice

sluice: $(BIN)
	@if [ "$(SAN)" != 1 ]; then cp $(BIN) sluice; fi

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/libsluice.a: $(OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BIN): $(BUILD)/src/main.o $(BUILD)/libsluice.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libsluice.a tests/unit/testutil.h
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -Itests/unit $(CFLAGS) $(LDFLAGS) -o $@ $< $(BUILD)/libsluice.a \
		$(LDLIBS) -lcmocka $(TEST_LIBS)

# test_csv again over the reader and UTF-8 check built without their SSE2 paths
# (src/input/scan16.h): the portable loops other CPUs run get the same tests.
NOSIMD_SRC := src/input/csv.c src/input/utf8.c
$(BUILD)/tests/test_csv_nosimd: tests/unit/test_csv.c $(NOSIMD_SRC) $(BUILD)/libsluice.a tests/unit/testutil.h
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -DSL_NO_SIMD -Itests/unit $(CFLAGS) $(LDFLAGS) -o $@ $< $(NOSIMD_SRC) \
		$(BUILD)/libsluice.a $(LDLIBS) -lcmocka $(TEST_LIBS)

unit: $(UNIT_BIN) $(BUILD)/tests/test_csv_nosimd

# The whole suite: unit tests (cmocka) and end-to-end tests driving the real binary.
# Ends with one line "N passed, N failed".
# `make test` and `make demo` first install missing Debian packages (scripts/deps.sh, as
# root), then re-enter make so pkg-config sees them.
test: deps
	@$(MAKE) --no-print-directory test-run

test-run: all unit
	@tests/run.sh $(BUILD)

asan: deps
	@$(MAKE) --no-print-directory SAN=1 test-run

valgrind: deps
	@$(MAKE) --no-print-directory all unit
	@tests/valgrind.sh build

bench: deps
	@bench/deps.sh
	@$(MAKE) --no-print-directory all
	@bench/run.sh

demo: deps
	@$(MAKE) --no-print-directory all
	./sluice gen 5 --rows 1000 --bad-ratio 0.05
	./sluice once || true
	./sluice status

deps:
	@scripts/deps.sh

# Fuzzing (fuzz/README.md): builds every fuzz/fuzz_*.c with clang -fsanitize=fuzzer,address,
# undefined in build-fuzz/, then runs each for FUZZ_SECONDS (default 60) on a working corpus
# seeded from fuzz/corpus/<target>/.  FUZZ_TARGETS=csv picks some.  Crashes: build-fuzz/artifacts/.
FUZZ_SECONDS ?= 60
FUZZ_ALL     := $(patsubst fuzz/fuzz_%.c,%,$(sort $(wildcard fuzz/fuzz_*.c)))
FUZZ_TARGETS ?= $(FUZZ_ALL)
FUZZ_BIN     := $(FUZZ_ALL:%=$(BUILD)/fuzz/fuzz_%)

$(BUILD)/fuzz/fuzz_%: fuzz/fuzz_%.c $(BUILD)/libsluice.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -fsanitize=fuzzer -o $@ $< $(BUILD)/libsluice.a $(LDLIBS)

fuzz-build: $(FUZZ_BIN)

fuzz:
	@scripts/deps.sh --dev
	@$(MAKE) --no-print-directory SAN=fuzz fuzz-build
	@fuzz/run.sh build-fuzz "$(FUZZ_SECONDS)" $(FUZZ_TARGETS)

# Static analysis of src/: cppcheck and clang-tidy (.clang-tidy); both must be clean.
LINT_CPPFLAGS := $(CPPFLAGS) $(shell pkg-config --cflags-only-I $(PKGS) $(DLPKGS))
lint:
	@scripts/deps.sh --dev
	@rc=0; \
	echo "cppcheck src/"; \
	cppcheck --quiet --enable=warning,performance,portability --error-exitcode=1 \
		--inline-suppr -I src src || rc=1; \
	echo "clang-tidy src/ (.clang-tidy)"; \
	clang-tidy --quiet $(SRC) src/main.c -- -std=c11 $(LINT_CPPFLAGS) 2>/dev/null || rc=1; \
	if [ $$rc -eq 0 ]; then echo "lint: clean"; else echo "lint: FAILED"; fi; exit $$rc

clean:
	rm -rf build build-asan build-fuzz build-bug build-prof sluice

-include $(OBJ:.o=.d) $(BUILD)/src/main.d
