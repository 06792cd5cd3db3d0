# shomei — build, run, test, bench, fuzz. Every library comes through pkg-config.
PKGS      := libcrypto libssl sqlite3 jansson libunbound libidn2 libpsl libsodium inih
# Headers only: loaded when first used (core/dynlib.h) by src/doc/pdf.c, src/store/pg.c,
# src/net/curl_lib.c and src/web/mhd_lib.c.
PKGS_LOADED := pangocairo libpq libcurl libmicrohttpd
CC        ?= cc
CSTD      := -std=c11 -D_GNU_SOURCE
WARN      := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wformat=2 -Wno-unused-parameter
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) $(PKGS_LOADED) p11-kit-1 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lpthread -lm
CMOCKA_LIBS := $(shell pkg-config --libs cmocka 2>/dev/null)

MODE      ?= release
ifeq ($(MODE),asan)
OPT       := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
else
OPT       := -O2 -g
endif
CFLAGS    += $(CSTD) $(WARN) $(OPT) -Isrc -Ibuild/$(MODE)/gen $(PKG_CFLAGS)
LDFLAGS   += $(OPT)

B         := build/$(MODE)
LIB_SRC   := $(filter-out src/main.c,$(wildcard src/*/*.c))
LIB_OBJ   := $(patsubst src/%.c,$(B)/obj/%.o,$(LIB_SRC))
GEN_C     := $(B)/gen/assets.c
GEN_OBJ   := $(B)/obj/gen/assets.o
ASSETS    := $(sort $(wildcard web/templates/*.html web/static/* web/i18n/*.json web/mail/*.txt web/documents/*.txt src/store/migrations/*.sql src/pki/data/*.txt))
UNIT_SRC  := $(wildcard tests/unit/test_*.c)
UNIT_BIN  := $(patsubst tests/unit/%.c,$(B)/tests/%,$(UNIT_SRC))
# The fuzz targets, each also linked with tests/fuzz/replay.c so that make test runs them
# over their corpora (tests/fuzz/corpus/NAME) under the sanitizers.
FUZZ_SRC  := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BIN  := $(patsubst tests/fuzz/%.c,$(B)/fuzz-replay/%,$(FUZZ_SRC))

PORT      ?= 8080
DATA      ?= demo-data

.PHONY: all run test unit it check unit-bins bench fuzz lint clean deps coverage-spec
all: $(B)/shomei

deps:
	@scripts/deps

$(B)/obj/%.o: src/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(GEN_C): $(ASSETS) scripts/embed
	@mkdir -p $(dir $@)
	scripts/embed $@ $(ASSETS)

$(GEN_OBJ): $(GEN_C)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(B)/libshomei.a: $(LIB_OBJ) $(GEN_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(B)/shomei: $(B)/obj/main.o $(B)/libshomei.a
	$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)
	@ln -sf $(MODE)/shomei build/shomei-$(MODE) 2>/dev/null || true

$(B)/tests/%: tests/unit/%.c $(B)/libshomei.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -Itests/unit -o $@ $< $(B)/libshomei.a $(PKG_LIBS) $(CMOCKA_LIBS)

$(B)/fuzz-replay/replay.o: tests/fuzz/replay.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(B)/fuzz-replay/%: tests/fuzz/%.c $(B)/fuzz-replay/replay.o $(B)/libshomei.a
	$(CC) $(CFLAGS) -MMD -MP -o $@ $< $(B)/fuzz-replay/replay.o $(B)/libshomei.a $(PKG_LIBS)

unit-bins: $(UNIT_BIN) $(FUZZ_BIN)

run: deps
	@$(MAKE) --no-print-directory MODE=release all
	@if [ ! -f $(DATA)/shomei.ini ]; then \
	  build/release/shomei init --dir $(DATA) --demo --set testing.not_for_production=true; fi
	@build/release/shomei serve --dir $(DATA) --port $(PORT)

# make test = lint, the release build, then every test (unit, integration, browser) under sanitizers.
# make unit / make it run one kind; make check T=NAME runs the tests whose name contains
# NAME (e.g. T=unit/test_order, T=it/order_flow, T=outbox).
test: deps
	@$(MAKE) --no-print-directory lint
	@$(MAKE) --no-print-directory MODE=release all   # the build make run uses must compile too
	@$(MAKE) --no-print-directory MODE=asan all unit-bins
	@tests/run.sh build/asan

unit: deps
	@$(MAKE) --no-print-directory MODE=asan all unit-bins
	@tests/run.sh build/asan unit/

it: deps
	@$(MAKE) --no-print-directory MODE=asan all
	@tests/run.sh build/asan it/

check: deps
	@if [ -z "$(T)" ]; then echo "usage: make check T=NAME (e.g. T=it/order_flow)" >&2; exit 2; fi
	@$(MAKE) --no-print-directory MODE=asan all unit-bins
	@tests/run.sh build/asan '$(T)'

bench: deps
	@$(MAKE) --no-print-directory MODE=release all
	@bench/issue.sh build/release/shomei
	@bench/issue_hsm.sh build/release/shomei
	@bench/portal.sh build/release/shomei
	@bench/nodes.sh build/release/shomei
	@bench/mpic.sh build/release/shomei
	@bench/acme.sh build/release/shomei

FUZZ_SECONDS ?= 60
fuzz: deps
	@$(MAKE) --no-print-directory MODE=release all
	@mkdir -p build/fuzz
	@for t in tests/fuzz/fuzz_*.c; do n=$$(basename $$t .c); \
	  clang $(CSTD) -g -O1 -Isrc -Ibuild/release/gen $(PKG_CFLAGS) -fsanitize=fuzzer,address,undefined \
	    -o build/fuzz/$$n $$t $(LIB_SRC) build/release/gen/assets.c $(PKG_LIBS) || exit 1; \
	  mkdir -p build/fuzz/corpus-$$n; \
	  build/fuzz/$$n -max_total_time=$(FUZZ_SECONDS) build/fuzz/corpus-$$n tests/fuzz/corpus/$$n || exit 1; \
	done

coverage-spec:
	@mkdir -p docs && scripts/spec-coverage > docs/spec-coverage.md && echo "docs/spec-coverage.md written"

lint:
	@scripts/layers
	@scripts/banned-check
	@clang-format --dry-run --Werror src/*/*.c src/*/*.h src/main.c
	@cppcheck --quiet --error-exitcode=1 --enable=warning,portability -Isrc \
	  --suppress=unknownMacro src

clean:
	rm -rf build

-include $(shell find build -name '*.d' 2>/dev/null)
