# sluice - build with `make`, test with `make test`, sanitizers with `make SAN=1 test`.
# Dependencies are found with pkg-config; scripts/deps.sh installs them on Debian 12.

PKGS     := sqlite3 libfyaml libcrypto libzstd zlib snappy
VERSION  := 0.1.0
CC       ?= cc
SAN      ?= 0

WARN     := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wformat=2 -Wpedantic \
            -Wno-format-nonliteral -Wno-format-truncation
CPPFLAGS := -Isrc -D_GNU_SOURCE -DSLUICE_VERSION='"$(VERSION)"'
CFLAGS   := -std=c11 $(WARN) $(shell pkg-config --cflags $(PKGS))
LDLIBS   := $(shell pkg-config --libs $(PKGS)) -lm -lpthread

ifeq ($(SAN),1)
BUILD    := build-asan
CFLAGS   += -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
LDFLAGS  += -fsanitize=address,undefined
else
BUILD    ?= build
CFLAGS   += -O2 -g
endif

SRC      := $(shell find src -name '*.c' ! -path src/main.c | sort)
OBJ      := $(SRC:%.c=$(BUILD)/%.o)
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
BIN      := $(BUILD)/sluice

.PHONY: all test test-run unit bench demo clean deps asan valgrind
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
		$(LDLIBS) -lcmocka

unit: $(UNIT_BIN)

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
	@$(MAKE) --no-print-directory all
	@bench/run.sh

demo: deps
	@$(MAKE) --no-print-directory all
	./sluice gen 5 --rows 1000 --bad-ratio 0.05
	./sluice once || true
	./sluice status

deps:
	@scripts/deps.sh

clean:
	rm -rf build build-asan sluice

-include $(OBJ:.o=.d) $(BUILD)/src/main.d
