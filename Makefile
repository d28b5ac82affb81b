# rnnlm: a plain Makefile (no generator needed; the project is one library,
# one program and a folder of test binaries).
#
#   make            library (static + shared) and the rnnlm program in build/
#   make test       installs what is missing, builds a normal and an
#                   address+undefined sanitizer build, runs every test in both
#   make run        installs what is missing, trains the recipe's model on Brown
#   make bench      benchmarks in bench/ (never part of the tests)
#   make install PREFIX=/usr/local   (also python/rnnlm.py, where $(PYTHON) finds it)
#   make examples   examples/ built against the installed library (pkg-config rnnlm)

CC      ?= gcc
PREFIX  ?= /usr/local
BUILD   ?= build
PYTHON  ?= /usr/bin/python3
# where $(PYTHON) looks for modules under PREFIX (Debian: PREFIX/lib/pythonX.Y/dist-packages)
PYDIR   ?= $(PREFIX)/lib/$(shell $(PYTHON) -c 'import sys; print("python%d.%d" % sys.version_info[:2])' 2>/dev/null || echo python3)/dist-packages
OPT     ?= -O2 -march=native -fno-math-errno
WARN     = -Wall -Wextra -Werror
CFLAGS  += -std=c11 $(WARN) $(OPT) -D_GNU_SOURCE -fPIC -Iinclude -Isrc $(shell pkg-config --cflags openblas 2>/dev/null)
LDLIBS  += -lopenblas -ljansson -lm -lpthread

LIB_SRC  = $(sort $(wildcard src/*.c src/*/*.c))
# src/nn/ is compiled twice: over float, and over double (-DNN_F64; see src/nn/real.h)
NN_SRC   = $(sort $(wildcard src/nn/*.c))
CLI_SRC  = $(sort $(wildcard cli/*.c))
TEST_SRC = $(sort $(wildcard tests/test_*.c))
BENCH_SRC= $(sort $(wildcard bench/*.c))

LIB_OBJ  = $(LIB_SRC:%.c=$(BUILD)/%.o) $(NN_SRC:src/nn/%.c=$(BUILD)/src/nn/f64/%.o)
CLI_OBJ  = $(CLI_SRC:%.c=$(BUILD)/%.o)
TESTS    = $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)
BENCHES  = $(BENCH_SRC:bench/%.c=$(BUILD)/bench/%)

.PHONY: all test run bench install clean deps tests asan examples
all: $(BUILD)/librnnlm.a $(BUILD)/librnnlm.so $(BUILD)/rnnlm

HEADERS  = $(wildcard include/*.h src/*.h src/*/*.h cli/*.h tests/*.h)

$(BUILD)/%.o: %.c $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/src/nn/f64/%.o: src/nn/%.c $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -DNN_F64 -c $< -o $@

$(BUILD)/librnnlm.a: $(LIB_OBJ)
	ar rcs $@ $^

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

# The test command of the README: set-up, both builds, every test in both.
test: deps
	$(MAKE) tests
	$(MAKE) tests BUILD=build-asan OPT="-O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all" LDFLAGS="-fsanitize=address,undefined"
	@tests/run.sh build build-asan

# The main job of the README: the recipe's industrial run on Brown, with its
# TensorBoard logs, checkpoints (last and best) and an SVG of the curves in runs/brown.
run: deps all
	./$(BUILD)/rnnlm train --corpus brown --logdir runs/brown --save-dir runs/brown $(RUN_ARGS)
	./$(BUILD)/rnnlm report runs/brown

bench: deps all $(BENCHES)
	@bench/run.sh $(BUILD)

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib $(DESTDIR)$(PREFIX)/include $(DESTDIR)$(PREFIX)/lib/pkgconfig
	install -m 755 $(BUILD)/rnnlm $(DESTDIR)$(PREFIX)/bin/
	install -m 644 $(BUILD)/librnnlm.a $(BUILD)/librnnlm.so $(DESTDIR)$(PREFIX)/lib/
	install -m 644 include/rnnlm.h $(DESTDIR)$(PREFIX)/include/
	sed 's|@PREFIX@|$(PREFIX)|' scripts/rnnlm.pc.in > $(DESTDIR)$(PREFIX)/lib/pkgconfig/rnnlm.pc
	install -d $(DESTDIR)$(PYDIR)
	sed 's|^_INSTALLED_LIBDIR = None|_INSTALLED_LIBDIR = "$(PREFIX)/lib"|' python/rnnlm.py > $(DESTDIR)$(PYDIR)/rnnlm.py
	-@[ -n "$(DESTDIR)" ] || [ "$$(id -u)" != 0 ] || ldconfig

examples:
	$(MAKE) -C examples

clean:
	rm -rf build build-asan
	$(MAKE) -C examples clean
