# payhook: the C core, its tests, and the sanitizer build.
# Python is built by setup.py, Lua by the rockspec or `make lua`.

VERSION := $(shell cat VERSION)
CC ?= cc
PKG_CFLAGS := $(shell pkg-config --cflags libcrypto libcjson 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs libcrypto libcjson 2>/dev/null || echo -lcrypto -lcjson)
WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wformat=2
CFLAGS ?= -O2 -g
# EXTRA_CFLAGS carries the sanitizer flags; CFLAGS may come from the
# command line, which would replace anything added to it here.
override CFLAGS += $(EXTRA_CFLAGS) -std=c11 -D_POSIX_C_SOURCE=200809L $(WARN) -fPIC \
          -DPH_VERSION='"$(VERSION)"' $(PKG_CFLAGS) -Icsrc
LIBS := $(PKG_LIBS) -lm

CORE_SRC := $(wildcard csrc/*.c)
BUILD ?= build

CORE_OBJ := $(CORE_SRC:csrc/%.c=$(BUILD)/core/%.o)

.PHONY: all test-c test-c-portable test-c-asan warnings-O3 bench-c bench-core clean
all: $(BUILD)/libpayhook.a

$(BUILD)/core/%.o: csrc/%.c $(wildcard csrc/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/libpayhook.a: $(CORE_OBJ)
	ar rcs $@ $^

# tests/model: the reference models the fuzz harnesses use too.
TEST_SRC := $(wildcard tests/c/*.c tests/model/*.c)
$(BUILD)/test_payhook: $(TEST_SRC) tests/c/runner.h tests/model/model.h $(BUILD)/libpayhook.a
	$(CC) $(CFLAGS) -Itests/c -Itests/model $(TEST_SRC) $(BUILD)/libpayhook.a $(LIBS) $(LDFLAGS) -lpthread -o $@

test-c: $(BUILD)/test_payhook
	$(BUILD)/test_payhook tests/vectors tests/vectors/conformance

# The same tests on the code paths an x86-64 build does not take: no
# SSE2 (the SWAR and byte loops of the string scanner and the hex and
# base64url decoders), the C loop of the constant-time JSON scan and HMAC
# through EVP_MAC contexts (csrc/mac_key.c's PH_MAC_EVP form).
test-c-portable:
	$(MAKE) -s BUILD=build/portable \
	    EXTRA_CFLAGS="-U__SSE2__ -DPH_JSON_CT_PORTABLE -DPH_MAC_EVP" build/portable/test_payhook
	build/portable/test_payhook tests/vectors tests/vectors/conformance

# The core compiled once more at -O3, objects thrown away: gcc finds some
# warnings (maybe-uninitialized) only at the optimisation level a Python
# built with -O3 hands to setup.py, and -Werror there fails pip install.
warnings-O3:
	$(MAKE) -s BUILD=build/O3 CFLAGS="-O3 -g" build/O3/libpayhook.a

# The C programs of bench/, compiled with the project's warnings against
# the core, so that a change of an internal API breaks the test run and
# not only the next benchmark (bench/run.sh builds and runs them).
BENCH_SRC := $(wildcard bench/*.c)
bench-c: $(BENCH_SRC:bench/%.c=$(BUILD)/bench/%)
$(BUILD)/bench/%: bench/%.c $(BUILD)/libpayhook.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $< $(BUILD)/libpayhook.a $(LIBS) $(LDFLAGS) -o $@

# The same core and tests under AddressSanitizer + UBSan; any finding or
# leak fails the run.
SAN := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
test-c-asan:
	$(MAKE) BUILD=build/asan CFLAGS="-O1 -g" EXTRA_CFLAGS="$(SAN)" LDFLAGS="$(SAN)" build/asan/test_payhook
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
	    build/asan/test_payhook tests/vectors tests/vectors/conformance

# ns/byte of the core's byte loops alone (bench/core_bench.c).
bench-core: $(BUILD)/bench/core_bench
	$(BUILD)/bench/core_bench

clean:
	rm -rf build

# The Lua binding and the fuzzers bring their own targets.
-include bindings/lua/lua.mk
-include fuzz/fuzz.mk
