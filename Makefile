# rnnlm: a plain Makefile (no generator needed; the project is one library,
# one program and a folder of test binaries).
#
#   make            library (static + shared) and the rnnlm program in build/
#   make test       installs what is missing, builds a normal and an
#                   address+undefined sanitizer build, runs every test in both
#                   (and a smoke run of the fuzzing harnesses)
#   make run        installs what is missing, trains the recipe's model on Brown
#   make bench      benchmarks in bench/ (never part of the tests)
#   make install PREFIX=/usr/local   (also python/rnnlm.py, where $(PYTHON) finds it)
#   make examples   examples/ built against the installed library (pkg-config rnnlm)
#   make fuzz       libFuzzer harnesses of the readers (fuzz/, clang) built in
#                   build-fuzz/, each run FUZZ_SECONDS (default 60); `make test`
#                   runs a short smoke of each

CC      ?= gcc
PREFIX  ?= /usr/local
BUILD   ?= build
PYTHON  ?= /usr/bin/python3
# where $(PYTHON) looks for modules under PREFIX (Debian: PREFIX/lib/pythonX.Y/dist-packages)
PYDIR   ?= $(PREFIX)/lib/$(shell $(PYTHON) -c 'import sys; print("python%d.%d" % sys.version_info[:2])' 2>/dev/null || echo python3)/dist-packages
OPT     ?= -O2 -march=native -fno-math-errno
WARN     = -Wall -Wextra -Werror
CFLAGS  += -std=c11 $(WARN) $(OPT) -D_GNU_SOURCE -fPIC -fvisibility=hidden -Iinclude -Isrc $(shell pkg-config --cflags openblas 2>/dev/null)
LDLIBS  += -ldnnl -lgomp -lopenblas -ljansson -lz -lm -lpthread
# MPI (data-parallel training, src/train/comm.c): Open MPI when pkg-config finds it;
# MPI=0 builds without it (then `mpirun ... rnnlm train` is refused).
MPI     ?= $(shell pkg-config --exists ompi-c 2>/dev/null && echo 1 || echo 0)
ifeq ($(MPI),1)
MPI_CFLAGS := -DRNNLM_MPI $(shell pkg-config --cflags ompi-c)
MPI_LIBS   := $(shell pkg-config --libs ompi-c)
endif
CFLAGS  += $(MPI_CFLAGS)
LDLIBS  += $(MPI_LIBS)

LIB_SRC  = $(sort $(wildcard src/*/*.c src/backend/*/*.c))
# src/nn/ and every backend's folder are compiled twice: over float, and over
# double (-DNN_F64; see src/backend/real.h)
NN_SRC   = $(sort $(wildcard src/nn/*.c src/backend/*/*.c))
CLI_SRC  = $(sort $(wildcard cli/*.c))
TEST_SRC = $(sort $(wildcard tests/test_*.c))
BENCH_SRC= $(sort $(wildcard bench/*.c))

LIB_OBJ  = $(LIB_SRC:%.c=$(BUILD)/%.o) $(NN_SRC:%.c=$(BUILD)/f64/%.o)
CLI_OBJ  = $(CLI_SRC:%.c=$(BUILD)/%.o)
TESTS    = $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)
BENCHES  = $(BENCH_SRC:bench/%.c=$(BUILD)/bench/%)

.PHONY: all test run bench install clean deps tests asan examples fuzz fuzz-build
all: $(BUILD)/librnnlm.a $(BUILD)/librnnlm.so $(BUILD)/rnnlm

HEADERS  = $(wildcard include/*.h include/*.def src/*/*.h src/backend/*/*.h cli/*.h tests/*.h)

$(BUILD)/%.o: %.c $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/f64/%.o: %.c $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -DNN_F64 -c $< -o $@

$(BUILD)/librnnlm.a: $(LIB_OBJ)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/librnnlm.so: $(LIB_OBJ)
	$(CC) -shared -o $@ $^ $(LDFLAGS) $(LDLIBS)

$(BUILD)/rnnlm: $(CLI_OBJ) $(BUILD)/librnnlm.a
	$(CC) $(CFLAGS) -o $@ $(CLI_OBJ) $(BUILD)/librnnlm.a $(LDFLAGS) $(LDLIBS)

$(BUILD)/tests/%: $(BUILD)/tests/%.o $(BUILD)/librnnlm.a
	$(CC) $(CFLAGS) -o $@ $< $(BUILD)/librnnlm.a $(LDFLAGS) -lcmocka $(LDLIBS)

$(BUILD)/bench/%: $(BUILD)/bench/%.o $(BUILD)/librnnlm.a
	$(CC) $(CFLAGS) -o $@ $< $(BUILD)/librnnlm.a $(LDFLAGS) $(LDLIBS)

tests: all $(TESTS)

deps:
	@scripts/setup.sh

# The test command of the README: set-up, both builds, every test in both
# (and the fuzzing harnesses, whose smoke run is tests/test_fuzz_smoke.sh).
test: deps
	$(MAKE) tests
	$(MAKE) tests BUILD=build-asan OPT="-O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all" LDFLAGS="-fsanitize=address,undefined"
	$(MAKE) fuzz-build
	@tests/run.sh build build-asan

# The main job of the README: the recipe's industrial run on Brown, with its
# TensorBoard logs, checkpoints (last and best) and an SVG of the curves in runs/brown.
# Each `make run` is a new run: --overwrite replaces the previous one's files there.
run: deps all
	./$(BUILD)/rnnlm train --corpus brown --logdir runs/brown --save-dir runs/brown --overwrite $(RUN_ARGS)
	./$(BUILD)/rnnlm report runs/brown

bench: deps all $(BENCHES)
	@bench/run.sh $(BUILD)

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib $(DESTDIR)$(PREFIX)/include $(DESTDIR)$(PREFIX)/lib/pkgconfig
	install -m 755 $(BUILD)/rnnlm $(DESTDIR)$(PREFIX)/bin/
	install -m 644 $(BUILD)/librnnlm.a $(BUILD)/librnnlm.so $(DESTDIR)$(PREFIX)/lib/
	install -m 644 include/rnnlm.h include/rnnlm_options.def $(DESTDIR)$(PREFIX)/include/
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|^\(Libs.private:.*\)|\1 $(MPI_LIBS)|' scripts/rnnlm.pc.in > $(DESTDIR)$(PREFIX)/lib/pkgconfig/rnnlm.pc
	install -d $(DESTDIR)$(PYDIR)
	sed 's|^_INSTALLED_LIBDIR = None|_INSTALLED_LIBDIR = "$(PREFIX)/lib"|' python/rnnlm.py > $(DESTDIR)$(PYDIR)/rnnlm.py
	-@[ -n "$(DESTDIR)" ] || [ "$$(id -u)" != 0 ] || ldconfig

examples:
	$(MAKE) -C examples

# Fuzzing (fuzz/): the library built again with clang, instrumented for
# libFuzzer and checked by address+undefined sanitizers, into build-fuzz/;
# one harness program per reader. fuzz/run.sh runs them (seed corpora in
# fuzz/seeds/<name>/, crash inputs kept in fuzz/artifacts/).
FUZZ_CC      ?= clang
FUZZ_BUILD   ?= build-fuzz
FUZZ_SECONDS ?= 60
FUZZ_NAMES    = checkpoint vocab corpus csvlog arpa textrule nbest opts
FUZZ_SAN      = -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_CFLAGS   = -std=c11 $(WARN) -O1 -g -march=native -fno-omit-frame-pointer -D_GNU_SOURCE -Iinclude -Isrc \
                $(shell pkg-config --cflags openblas 2>/dev/null) $(MPI_CFLAGS) $(FUZZ_SAN)
FUZZ_LIB_OBJ  = $(LIB_SRC:%.c=$(FUZZ_BUILD)/%.o) $(NN_SRC:%.c=$(FUZZ_BUILD)/f64/%.o)
FUZZ_BINS     = $(FUZZ_NAMES:%=$(FUZZ_BUILD)/fuzz/fuzz_%)

$(FUZZ_BUILD)/src/%.o: src/%.c $(HEADERS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

$(FUZZ_BUILD)/f64/%.o: %.c $(HEADERS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -DNN_F64 -fsanitize=fuzzer-no-link -c $< -o $@

$(FUZZ_BUILD)/librnnlm.a: $(FUZZ_LIB_OBJ)
	rm -f $@ && ar rcs $@ $^

$(FUZZ_BUILD)/fuzz/fuzz_%: fuzz/fuzz_%.c fuzz/fuzz_input.h $(FUZZ_BUILD)/librnnlm.a
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_BUILD)/librnnlm.a $(LDLIBS)

# the option parser and the tables of train, score and data are the command
# line's (fuzz/fuzz_opts.c compiles cmd_score.c and cmd_data.c into itself)
FUZZ_OPTS_CLI = cli/opts.c cli/train_opts.c cli/data_opts.c cli/lmscore.c cli/textin.c cli/adapt_opts.c
$(FUZZ_BUILD)/fuzz/fuzz_opts: fuzz/fuzz_opts.c cli/cmd_score.c cli/cmd_data.c $(FUZZ_OPTS_CLI) $(HEADERS) $(FUZZ_BUILD)/librnnlm.a
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -Icli -fsanitize=fuzzer -o $@ $< $(FUZZ_OPTS_CLI) $(FUZZ_BUILD)/librnnlm.a $(LDLIBS)

fuzz-build: $(FUZZ_BINS)

fuzz: deps fuzz-build
	@fuzz/run.sh $(FUZZ_BUILD) seconds $(FUZZ_SECONDS)

clean:
	rm -rf build build-asan $(FUZZ_BUILD)
	$(MAKE) -C examples clean
