# libFuzzer harnesses for the C core; included by the top-level Makefile.
# See fuzz/README.md.
#
#   make fuzz-build   every harness, built into build/fuzz/
#   make fuzz         run each harness for FUZZ_SECONDS (default 300), two
#                     at a time; non-zero exit if any found something
#   make fuzz-short   the test command's bounded run: FUZZ_SHORT_SECONDS
#                     (default 20) per harness, prints `N passed, N failed`
#   make fuzz-repro   replay fuzz/crashes/* against the current code
#   make fuzz-seeds   regenerate fuzz/corpus/ with fuzz/make_seeds.py
#   make fuzz-atheris the Python binding under atheris (fuzz/run_atheris.sh)
#
# Only FUZZ_* variables and fuzz-* targets are defined here, so the file
# can sit beside the other fragments the Makefile includes.

FUZZ_CC ?= clang
FUZZ_OUT := build/fuzz
FUZZ_SECONDS ?= 300
FUZZ_SHORT_SECONDS ?= 20
FUZZ_PARALLEL ?= 2
FUZZ_HARNESSES := fuzz_jwt_verify fuzz_superpay fuzz_leanx_envelope \
                  fuzz_superpay_envelope fuzz_json fuzz_base64url \
                  fuzz_base64 fuzz_gateway fuzz_form fuzz_float

FUZZ_VERSION := $(shell cat VERSION)
FUZZ_PKG_CFLAGS := $(shell pkg-config --cflags libcrypto libcjson 2>/dev/null)
FUZZ_PKG_LIBS := $(shell pkg-config --libs libcrypto libcjson 2>/dev/null \
                   || echo -lcrypto -lcjson)
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_CFLAGS := -g -O1 -fno-omit-frame-pointer -std=c11 \
               -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror \
               -DPH_VERSION='"$(FUZZ_VERSION)"' $(FUZZ_PKG_CFLAGS) \
               -Icsrc -Ifuzz -Itests/model

FUZZ_CORE_OBJ := $(patsubst csrc/%.c,$(FUZZ_OUT)/obj/core_%.o,\
                   $(wildcard csrc/*.c))
# The reference models the C suite holds the library to as well.
FUZZ_MODEL_OBJ := $(patsubst tests/model/%.c,$(FUZZ_OUT)/obj/model_%.o,\
                    $(wildcard tests/model/*.c))
FUZZ_CHECK_OBJ := $(FUZZ_OUT)/obj/fuzz_common.o $(FUZZ_MODEL_OBJ)
FUZZ_BINS := $(addprefix $(FUZZ_OUT)/,$(FUZZ_HARNESSES))
FUZZ_OBJ := $(FUZZ_CORE_OBJ) $(FUZZ_CHECK_OBJ) \
            $(addprefix $(FUZZ_OUT)/obj/,$(addsuffix .o,$(FUZZ_HARNESSES)))

# Keep the objects make would otherwise treat as intermediate.
.SECONDARY: $(FUZZ_OBJ)

.PHONY: fuzz-build fuzz fuzz-short fuzz-repro fuzz-seeds fuzz-atheris

fuzz-build: $(FUZZ_BINS)

# Objects carry the sanitizers and coverage; only the link adds
# libFuzzer's main.
$(FUZZ_OUT)/obj/core_%.o: csrc/%.c $(wildcard csrc/*.h)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_SAN) -fsanitize=fuzzer-no-link \
	    -c $< -o $@

# The shared checks and the models get no coverage instrumentation: their
# branches and comparisons (the key-window search above all) would steer
# the fuzzer toward the checker instead of the code under test.
$(FUZZ_OUT)/obj/fuzz_common.o: fuzz/fuzz_common.c fuzz/fuzz_common.h \
                               tests/model/model.h csrc/payhook.h
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_SAN) -c $< -o $@

$(FUZZ_OUT)/obj/model_%.o: tests/model/%.c tests/model/model.h
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_SAN) -c $< -o $@

$(FUZZ_OUT)/obj/%.o: fuzz/%.c fuzz/fuzz_common.h tests/model/model.h \
                     csrc/payhook.h
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_SAN) -fsanitize=fuzzer-no-link \
	    -c $< -o $@

$(FUZZ_OUT)/fuzz_%: $(FUZZ_OUT)/obj/fuzz_%.o $(FUZZ_CHECK_OBJ) \
                    $(FUZZ_CORE_OBJ)
	$(FUZZ_CC) -fsanitize=fuzzer,address,undefined \
	    -fno-sanitize-recover=all $^ $(FUZZ_PKG_LIBS) -lm -o $@

# Seeds from tests/vectors as they are now, beside the committed ones.
fuzz-seeds:
	python3 fuzz/make_seeds.py --out fuzz/corpus

$(FUZZ_OUT)/seeds: FORCE_FUZZ_SEEDS
	@python3 fuzz/make_seeds.py --quiet --out $@ || \
	    echo "fuzz: make_seeds.py failed; using fuzz/corpus only"

.PHONY: FORCE_FUZZ_SEEDS
FORCE_FUZZ_SEEDS:

fuzz: fuzz-build $(FUZZ_OUT)/seeds
	FUZZ_OUT=$(FUZZ_OUT) fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ_PARALLEL) \
	    $(FUZZ_HARNESSES)

fuzz-short: fuzz-build $(FUZZ_OUT)/seeds
	@FUZZ_OUT=$(FUZZ_OUT) fuzz/run.sh $(FUZZ_SHORT_SECONDS) \
	    $(FUZZ_PARALLEL) $(FUZZ_HARNESSES)

fuzz-repro: fuzz-build
	@FUZZ_OUT=$(FUZZ_OUT) fuzz/repro.sh

fuzz-atheris:
	fuzz/run_atheris.sh
