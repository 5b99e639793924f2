# cdnpipe - build, test and benchmark.
#
#   make            build build/cdnpipe
#   make demo       build and run a real job on examples/site into demo-out/
#   make check      every test: unit (cmocka), integration (pytest), fuzz (brief), layers
#   make check-asan the unit and integration tests on a sanitizer build (ASan, UBSan, LSan)
#   make layers     the code's shape: no file cycles, no calls upward, cmd/ uses public headers
#   make bench      side-by-side benchmarks against the peers (bench/)
#   make fuzz       run every fuzz target for FUZZ_SECONDS (default 60) each
#   make fuzz-replay every saved fuzz seed and crash input, without libFuzzer (gcc, ASan, UBSan)
#   make install    PREFIX=/usr/local DESTDIR=
#
# Sources are picked up by folder: every .c under a stage folder (at any
# depth) goes into build/libcdnpipe.a, every cmd/*.c into the binary, every
# tests/unit/**/test_*.c becomes one cmocka binary, every tests/fuzz/fuzz_*.c one libFuzzer target.

PREFIX ?= /usr/local
DESTDIR ?=
CC ?= cc
PKG_CONFIG ?= pkg-config
PKGS := libcurl libcrypto zlib libbrotlienc libbrotlidec jansson inih sqlite3
PYTHON := /usr/bin/python3

OPT ?= -O2 -g
CFLAGS_ALL = -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -pthread -I. $(OPT) \
	$(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null) $(CFLAGS)
LIBS = $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null) -pthread -lm

# Folders, lowest layer first (docs/ARCHITECTURE.md; `make layers` checks it).
STAGES := lib syntax sourcemap asset minify fingerprint compress manifest cache pipeline upload
LIB_SRC := $(sort $(shell find $(STAGES) -name '*.c'))
# B: the build folder.  `make check-asan` builds everything again into
# build/asan with the sanitizers on, by setting B and OPT.
B ?= build
LIB_OBJ := $(LIB_SRC:%.c=$(B)/%.o)
CMD_SRC := $(wildcard cmd/*.c)
CMD_OBJ := $(CMD_SRC:%.c=$(B)/%.o)
UNIT_SRC := $(sort $(shell find tests/unit -name 'test_*.c'))
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(B)/tests/%)
FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BIN := $(FUZZ_SRC:tests/fuzz/%.c=build/fuzz/%)
FUZZ_SECONDS ?= 60
FUZZ_SMOKE_RUNS ?= 20000

.PHONY: all deps deps-build check check-asan check-fresh unit integration layers fuzz fuzz-smoke fuzz-replay demo bench install clean format

all: $(B)/cdnpipe

deps-build:
	@scripts/install-deps.sh build

deps:
	@scripts/install-deps.sh check

$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -MMD -MP -c $< -o $@

$(B)/libcdnpipe.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(B)/cdnpipe: $(CMD_OBJ) $(B)/libcdnpipe.a
	$(CC) $(CFLAGS_ALL) -o $@ $(CMD_OBJ) $(B)/libcdnpipe.a $(LIBS)

$(B)/tests/%: tests/unit/%.c $(B)/libcdnpipe.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -Itests/unit -Wno-unused-parameter -o $@ $< $(B)/libcdnpipe.a $(LIBS) -lcmocka

# cmd/ is not in the library; the option parser's test links its object too
# (opts.o needs nothing from cmd/ beyond itself).  An explicit rule with a
# recipe takes precedence over the pattern rule above.
$(B)/tests/cmd/test_opts: tests/unit/cmd/test_opts.c $(B)/cmd/opts.o $(B)/libcdnpipe.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -Itests/unit -Wno-unused-parameter -o $@ $< $(B)/cmd/opts.o \
		$(B)/libcdnpipe.a $(LIBS) -lcmocka

# libFuzzer targets: the library is compiled once more with clang and the
# sanitizers (build/fuzz/obj, archived in build/fuzz/libcdnpipe.a), and each
# target links what it uses from that archive: fewer coverage counters to
# scan per run than the whole library's.
FUZZ_CFLAGS = -std=c11 -D_GNU_SOURCE -I. -g -O1 -fno-sanitize-recover=undefined \
	$(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
FUZZ_OBJ := $(LIB_SRC:%.c=build/fuzz/obj/%.o)
FUZZ_HDR := $(wildcard tests/fuzz/*.h)
.SECONDARY: $(FUZZ_OBJ) build/fuzz/obj/cmd/opts.o

build/fuzz/obj/%.o: %.c
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link,address,undefined -MMD -MP -c $< -o $@

build/fuzz/libcdnpipe.a: $(FUZZ_OBJ)
	@rm -f $@
	ar rcs $@ $^

# cdnpipe.ini is read by cmd/opts.c, which is not in the library: fuzz_ini
# links its object, as test_opts does (FUZZ_EXTRA_<target>).
FUZZ_EXTRA_fuzz_ini = build/fuzz/obj/cmd/opts.o
FUZZ_REPLAY_EXTRA_fuzz_ini = build/fuzz/replay/obj/cmd/opts.o

.SECONDEXPANSION:
build/fuzz/%: tests/fuzz/%.c $$(FUZZ_EXTRA_$$*) build/fuzz/libcdnpipe.a $(FUZZ_HDR)
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -fsanitize=fuzzer,address,undefined -o $@ $< $(FUZZ_EXTRA_$*) \
		build/fuzz/libcdnpipe.a $(LIBS)

# The replay drivers: each target's LLVMFuzzerTestOneInput with
# tests/fuzz/regression_driver.c for main(), built by plain gcc with ASan and
# UBSan (build/fuzz/replay), no libFuzzer.  `make fuzz-replay` runs each on
# every saved seed and crash input.
REPLAY_CC ?= gcc
REPLAY_CFLAGS = -std=c11 -D_GNU_SOURCE -I. -g -O1 -fsanitize=address,undefined \
	-fno-sanitize-recover=undefined -fno-omit-frame-pointer \
	$(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
FUZZ_REPLAY_OBJ := $(LIB_SRC:%.c=build/fuzz/replay/obj/%.o)
FUZZ_REPLAY_BIN := $(FUZZ_SRC:tests/fuzz/%.c=build/fuzz/replay/%)
.SECONDARY: $(FUZZ_REPLAY_OBJ) build/fuzz/replay/obj/cmd/opts.o

build/fuzz/replay/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(REPLAY_CC) $(REPLAY_CFLAGS) -MMD -MP -c $< -o $@

build/fuzz/replay/libcdnpipe.a: $(FUZZ_REPLAY_OBJ)
	@rm -f $@
	ar rcs $@ $^

build/fuzz/replay/%: tests/fuzz/%.c tests/fuzz/regression_driver.c $$(FUZZ_REPLAY_EXTRA_$$*) \
		build/fuzz/replay/libcdnpipe.a $(FUZZ_HDR)
	@mkdir -p $(dir $@)
	$(REPLAY_CC) $(REPLAY_CFLAGS) -o $@ $< tests/fuzz/regression_driver.c \
		$(FUZZ_REPLAY_EXTRA_$*) build/fuzz/replay/libcdnpipe.a $(LIBS)

unit: $(UNIT_BIN)
	@set -e; for t in $(UNIT_BIN); do echo "== $$t"; $$t; done

integration: $(B)/cdnpipe
	CDNPIPE_BUILD=$(abspath $(B)) CDNPIPE_CFLAGS="$(OPT)" $(PYTHON) -m pytest -q tests/integration $(PYTEST_ARGS)

# From the objects' symbols (nm): file cycles, calls into a higher folder
# (STAGES order, cmd/ on top), and cmd/ including a non-public header.
layers: $(LIB_OBJ) $(CMD_OBJ)
	@$(PYTHON) scripts/layers.py --order "$(STAGES)" $(LIB_OBJ) $(CMD_OBJ)

# A target's seeds are tests/fuzz/seeds/<target>/ plus the test fixtures of
# its language (fuzz_css: tests/fixtures/css), so no fixture is kept twice.
FUZZ_FIXTURES = fuzz_fixtures() { d=tests/fixtures/$${1\#fuzz_}; [ -d $$d ] && echo $$d || true; }

fuzz: $(FUZZ_BIN)
	@set -e; $(FUZZ_FIXTURES); for f in $(FUZZ_BIN); do n=$$(basename $$f); mkdir -p build/fuzz/corpus/$$n; \
		$$f -max_total_time=$(FUZZ_SECONDS) -max_len=65536 build/fuzz/corpus/$$n \
			tests/fuzz/seeds/$$n $$(fuzz_fixtures $$n); done

# A fixed seed and a fixed number of runs: the same inputs on every machine,
# so `make check` fails only when the code does, never by the luck of a draw.
# A slow target runs fewer (FUZZ_SMOKE_RUNS_<target>), to stay near 15 s.
FUZZ_SMOKE_RUNS_fuzz_fingerprint ?= 8000
rparen := )
FUZZ_RUNS_OF = runs_of() { case $$1 in $(foreach f,$(FUZZ_BIN),$(notdir $f)$(rparen) echo \
	$(or $(FUZZ_SMOKE_RUNS_$(notdir $f)),$(FUZZ_SMOKE_RUNS));;) esac; }

fuzz-smoke: $(FUZZ_BIN)
	@set -e; $(FUZZ_FIXTURES); $(FUZZ_RUNS_OF); for f in $(FUZZ_BIN); do n=$$(basename $$f); mkdir -p build/fuzz/smoke/$$n; \
		r=$$(runs_of $$n); echo "== fuzz $$n ($$r runs, seed 1)"; \
		rm -f build/fuzz/smoke/$$n/*; \
		$$f -seed=1 -runs=$$r -max_total_time=120 -max_len=65536 \
			-print_final_stats=1 -artifact_prefix=build/fuzz/$$n- \
			build/fuzz/smoke/$$n tests/fuzz/seeds/$$n $$(fuzz_fixtures $$n) \
			>build/fuzz/$$n.log 2>&1 \
			|| { tail -50 build/fuzz/$$n.log; exit 1; }; \
		grep -E "stat::number_of_executed_units" build/fuzz/$$n.log || true; done

# Every saved seed and crash input (tests/fuzz/crashes/<target>/: one per
# bug the fuzzers found) through the gcc-built replay drivers.
fuzz-replay: $(FUZZ_REPLAY_BIN)
	@set -e; $(FUZZ_FIXTURES); for f in $(FUZZ_REPLAY_BIN); do n=$$(basename $$f); \
		d=tests/fuzz/crashes/$$n; [ -d $$d ] || d=; \
		$$f tests/fuzz/seeds/$$n $$d $$(fuzz_fixtures $$n) >build/fuzz/replay/$$n.log 2>&1 \
			|| { tail -50 build/fuzz/replay/$$n.log; exit 1; }; \
		tail -1 build/fuzz/replay/$$n.log; done

check: deps
	$(MAKE) all $(UNIT_BIN)
	$(MAKE) unit
	$(MAKE) fuzz-smoke
	$(MAKE) fuzz-replay
	$(MAKE) integration
	$(MAKE) layers

# Every unit and integration test again, on a build with AddressSanitizer,
# UndefinedBehaviorSanitizer and LeakSanitizer (build/asan).  Reports go to
# files (log_path), not to the tests' captured stderr, so a test that expects
# a failure cannot swallow one: the run fails if any report was written.
# exitcode=86 keeps a sanitizer's exit apart from cdnpipe's own 1 and 2.
# The 20% fault matrix (59 runs of the same code paths the 100% cases take,
# about five minutes under the sanitizers) is left to `make check`, to keep
# CI under its 30 minutes.
ASAN_OPT = -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
ASAN_REPORTS = $(abspath build/asan/reports)
ASAN_ENV = ASAN_OPTIONS=detect_leaks=1:exitcode=86:strict_string_checks=1:detect_stack_use_after_return=1:log_path=$(ASAN_REPORTS)/asan \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:log_path=$(ASAN_REPORTS)/ubsan \
	LSAN_OPTIONS=exitcode=86

check-asan: deps
	$(MAKE) B=build/asan OPT="$(ASAN_OPT)" all $(UNIT_SRC:tests/unit/%.c=build/asan/tests/%)
	@rm -rf $(ASAN_REPORTS); mkdir -p $(ASAN_REPORTS)
	$(ASAN_ENV) $(MAKE) B=build/asan OPT="$(ASAN_OPT)" PYTEST_ARGS='-k "not 20_percent"' unit integration
	@n=$$(ls $(ASAN_REPORTS) | wc -l); if [ $$n -ne 0 ]; then \
		for f in $(ASAN_REPORTS)/*; do echo "== $$f"; head -40 $$f; done; \
		echo "check-asan: $$n sanitizer report(s) in $(ASAN_REPORTS)"; exit 1; fi; \
		echo "check-asan: no sanitizer reports"

# The README's two commands on a fresh Debian bookworm root (debootstrap,
# chroot): what CI runs.  Needs root and the Debian mirror.
check-fresh:
	@scripts/check-fresh.sh

demo: deps-build
	$(MAKE) all
	@scripts/demo.sh

bench: all
	@scripts/install-deps.sh bench
	@set -e; for b in bench/*.sh; do echo "== $$b"; sh $$b; done

install: build/cdnpipe
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 755 build/cdnpipe $(DESTDIR)$(PREFIX)/bin/cdnpipe
	install -m 644 docs/cdnpipe.1 $(DESTDIR)$(PREFIX)/share/man/man1/cdnpipe.1

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf build demo-out

-include $(LIB_OBJ:.o=.d) $(CMD_OBJ:.o=.d) $(FUZZ_OBJ:.o=.d) $(FUZZ_REPLAY_OBJ:.o=.d)
