# openrouter -- build, test and install the C core and the Lua facade.
# Every knob is a variable (LuaRocks names); nothing here needs editing.
#   make                       build build/$(LUA_VERSION)/openrouter/core.so (Lua 5.4)
#   make LUA_VERSION=luajit    the same for LuaJIT (also 5.1, 5.2, 5.3)
#   make test                  install what is missing, run every test (Lua 5.4)
#   make demo                  stream a chat (the fake server, or the real API with OPENROUTER_API_KEY;
#                              FAKE=1: the fake server even then)
#   make fake-server           the fake server in the foreground, for your own scripts

SHELL       := /bin/bash
LUA_VERSION ?= 5.4
ifeq ($(LUA_VERSION),luajit)
LUA         ?= luajit
LUA_INCDIR  ?= /usr/include/luajit-2.1
LUA_ABI     := 5.1
else
LUA         ?= lua$(LUA_VERSION)
LUA_INCDIR  ?= /usr/include/lua$(LUA_VERSION)
LUA_ABI     := $(LUA_VERSION)
endif

CC          ?= cc
CURL_CFLAGS ?= $(shell pkg-config --cflags libcurl 2>/dev/null)
CURL_LIBS   ?= $(shell pkg-config --libs libcurl 2>/dev/null || echo -lcurl)
OPTFLAGS    ?= -O2 -g
WARN        := -std=c99 -Wall -Wextra -Werror -pedantic -Wshadow -Wmissing-prototypes
CFLAGS      ?= $(OPTFLAGS)
ALL_CFLAGS  := $(CFLAGS) $(WARN) -D_POSIX_C_SOURCE=200809L -fPIC -fvisibility=hidden \
               -Icsrc/engine -Icsrc/binding -I$(LUA_INCDIR) $(CURL_CFLAGS) $(EXTRA_CFLAGS)
LIBFLAG     ?= -shared
LDFLAGS     ?=

PREFIX      ?= /usr/local
INST_LIBDIR ?= $(PREFIX)/lib/lua/$(LUA_ABI)
INST_LUADIR ?= $(PREFIX)/share/lua/$(LUA_ABI)

BUILD       := build/$(LUA_VERSION)$(BUILD_SUFFIX)
CORE        := $(BUILD)/openrouter/core.so
# The C sources: one list, the rockspec's (spec/unit/layers_spec.lua checks
# that every rockspec lists the same).
ROCKSPEC    := rockspec/openrouter-scm-1.rockspec
CORE_SRC    := $(shell grep -o '"csrc/[a-z_/]*\.c"' $(ROCKSPEC) | tr -d '"')
ENGINE_SRC  := $(filter csrc/engine/%,$(CORE_SRC))
CORE_HDR    := $(wildcard csrc/*/*.h)
LUA_SRC     := $(wildcard lua/openrouter/*.lua)
FAKESERVER  := build/fakeserver
CONNECTPROXY := build/connectproxy
# The C unit tests (spec/c/NAME_test.c, each linked with the engine) and
# the libFuzzer targets (spec/c/NAME_fuzz.c): no Lua in either.
C_TESTS     := $(patsubst spec/c/%_test.c,$(BUILD)/%_test,$(wildcard spec/c/*_test.c))
FUZZERS     := $(patsubst spec/c/%_fuzz.c,%,$(wildcard spec/c/*_fuzz.c))
# A Lua module for the specs only: the SSE parser seen from Lua.
SSE_PROBE   := $(BUILD)/test/sse_probe.so

.PHONY: all test test-all test-long test-build fake-server paths lint test-c demo fakeserver-selftest fuzz fuzz-check fuzz-one asan valgrind bench install clean deps check-exports

all: $(CORE)

$(CORE): $(CORE_SRC) $(CORE_HDR)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(LIBFLAG) -o $@ $(CORE_SRC) $(CURL_LIBS) $(LDFLAGS)

$(SSE_PROBE): spec/c/sse_probe.c csrc/engine/sse.c csrc/engine/buf.c $(CORE_HDR)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(LIBFLAG) -o $@ spec/c/sse_probe.c csrc/engine/sse.c csrc/engine/buf.c $(LDFLAGS)

$(FAKESERVER): spec/support/fakeserver.c
	@mkdir -p build
	$(CC) -std=c99 -D_GNU_SOURCE -O2 -g -Wall -Wextra -Werror -o $@ $<

$(CONNECTPROXY): spec/support/connectproxy.c
	@mkdir -p build
	$(CC) -std=c99 -O2 -g -Wall -Wextra -Werror -o $@ $<

C_TEST_FLAGS := -std=c99 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror -pedantic -Wshadow \
                -Wmissing-prototypes -Icsrc/engine $(CURL_CFLAGS)

$(BUILD)/%_test: spec/c/%_test.c $(ENGINE_SRC) $(CORE_HDR)
	@mkdir -p $(BUILD)
	$(CC) $(C_TEST_FLAGS) -O1 -g $(SANITIZE) -o $@ $< $(ENGINE_SRC) $(CURL_LIBS)

# Targets that need Debian packages install them first (.ci/deps), then
# build in a sub-make: a prerequisite would be compiled before the install.

# Everything the suite of one Lua needs built.
test-build: $(CORE) $(SSE_PROBE) $(FAKESERVER) $(CONNECTPROXY) $(C_TESTS)

test-c: $(C_TESTS)
	@for t in $(C_TESTS); do $$t || exit 1; done

# Coverage-guided fuzzing (clang's libFuzzer under ASan+UBSan, no Lua) of
# each target for FUZZ_SECONDS.
FUZZ_SECONDS ?= 60
FUZZ_FLAGS := $(C_TEST_FLAGS) -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
fuzz:
	@bash .ci/deps fuzz
	@for t in $(FUZZERS); do $(MAKE) -s fuzz-one T=$$t || exit 1; done

# CI's bounded run of every fuzzer, with a tally line.
fuzz-check:
	@bash .ci/deps fuzz
	@mkdir -p build; p=0; f=0; for t in $(FUZZERS); do \
	  if $(MAKE) -s fuzz-one T=$$t > build/fuzz-$$t.log 2>&1; then p=$$((p+1)); echo "fuzz $$t: ok ($$(grep -o 'Done [0-9]* runs' build/fuzz-$$t.log))"; \
	  else f=$$((f+1)); echo "fuzz $$t: FAILED"; tail -n 30 build/fuzz-$$t.log; fi; done; \
	echo "$$p passed, $$f failed"; [ $$f -eq 0 ]

# (the seeds of spec/c/corpus/T are copied: libFuzzer adds to its corpus)
fuzz-one:
	@mkdir -p build/corpus-$(T)
	@[ -d spec/c/corpus/$(T) ] && cp spec/c/corpus/$(T)/* build/corpus-$(T)/ || true
	@clang $(FUZZ_FLAGS) -o build/$(T)_fuzz spec/c/$(T)_fuzz.c $(ENGINE_SRC) $(CURL_LIBS)
	build/$(T)_fuzz -max_total_time=$(FUZZ_SECONDS) -artifact_prefix=build/ build/corpus-$(T)

deps:
	@bash .ci/deps $(LUA_VERSION)

# The whole suite for one Lua: the C unit tests, then busted; the last line
# is the total "N passed, N failed".
test:
	@bash .ci/deps $(LUA_VERSION)
	@$(MAKE) -s test-build
	@bash spec/support/run-tests $(LUA_VERSION) $(BUILD)

test-all:
	@bash .ci/deps all
	@bash spec/support/run-all

# The #long specs (a 1 000 000-chunk stream), on Lua 5.4 and LuaJIT.
test-long:
	@bash .ci/deps 5.4 && bash .ci/deps luajit
	@$(MAKE) -s LUA_VERSION=5.4 test-build && $(MAKE) -s LUA_VERSION=luajit test-build
	@. spec/support/lib.sh; passed=0 failed=0 skipped=0; \
	for v in 5.4 luajit; do out=$$(OR_TAGS=long bash spec/support/run-tests $$v build/$$v 2>&1); \
	  echo "$$out" | grep -vE '^ok '; tally "$$out"; done; \
	echo "$$passed passed, $$failed failed, $$skipped skipped"; [ $$failed -eq 0 ]

demo:
	@bash .ci/deps demo $(LUA_VERSION)
	@$(MAKE) -s $(CORE) $(FAKESERVER)
	@FAKE=$(FAKE) bash examples/demo.sh $(LUA) $(BUILD)

# The fake server in the foreground, for your own scripts (PORT=8089 to
# pick its port); prints the OPENROUTER_BASE_URL to export.
fake-server:
	@bash .ci/deps demo $(LUA_VERSION)
	@$(MAKE) -s $(FAKESERVER)
	@bash spec/support/fake-server $(PORT)

# The paths that make this checkout's module loadable: eval "$$(make -s paths)"
paths:
	@bash .ci/deps demo $(LUA_VERSION) >&2
	@$(MAKE) -s $(CORE) >&2
	@echo "export LUA_PATH='$(CURDIR)/lua/?.lua;$(CURDIR)/lua/?/init.lua;;'"
	@echo "export LUA_CPATH='$(CURDIR)/$(BUILD)/?.so;;'"

build/nodlclose.so: spec/support/nodlclose.c
	@mkdir -p build
	$(CC) -Wall -Wextra -Werror -shared -fPIC -o $@ $<

asan: build/nodlclose.so
	$(MAKE) BUILD_SUFFIX=-asan SANITIZE="-fsanitize=address,undefined -fno-omit-frame-pointer" \
	  EXTRA_CFLAGS="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" \
	  LDFLAGS="-fsanitize=address,undefined" OR_RUNNER=asan test

valgrind:
	@bash .ci/deps valgrind
	@$(MAKE) -s test-build build/nodlclose.so
	@OR_RUNNER=valgrind bash spec/support/run-tests $(LUA_VERSION) $(BUILD)

# Figures, not tests: this module against its peers (spec/bench/run.lua),
# then the SSE parser alone.
bench:
	@bash .ci/deps bench
	@$(MAKE) -s $(CORE) $(FAKESERVER)
	@$(MAKE) -s LUA_VERSION=luajit all >/dev/null 2>&1 || echo "(no LuaJIT build: its row is skipped)"
	@mkdir -p build/bench
	@$(CC) -O2 -std=c99 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror $(CURL_CFLAGS) \
	  -o build/bench/floor spec/bench/floor.c $(CURL_LIBS)
	@lua5.4 spec/bench/run.lua
	@$(CC) $(C_TEST_FLAGS) -O2 -o build/sse_bench spec/c/sse_bench.c $(ENGINE_SRC) $(CURL_LIBS) && build/sse_bench

# Static checks of the Lua (Debian's lua-check, config in .luacheckrc).
lint:
	@bash .ci/deps lint
	@if luacheck --no-color --quiet lua spec examples; then echo "luacheck: clean"; echo "1 passed, 0 failed"; \
	else echo "0 passed, 1 failed"; exit 1; fi

# The fake server's own checks (curl against every route and scenario).
fakeserver-selftest:
	@bash spec/support/fakeserver_selftest.sh

check-exports: $(CORE)
	@syms=$$(nm -D --defined-only $(CORE) | awk '{print $$3}' | grep -v '^_' ); \
	if [ "$$syms" = "luaopen_openrouter_core" ]; then echo "exports: $$syms"; \
	else echo "unexpected exported symbols:"; echo "$$syms"; exit 1; fi

install: $(CORE)
	install -d $(DESTDIR)$(INST_LIBDIR)/openrouter $(DESTDIR)$(INST_LUADIR)/openrouter
	install -m 644 $(CORE) $(DESTDIR)$(INST_LIBDIR)/openrouter/core.so
	install -m 644 $(LUA_SRC) $(DESTDIR)$(INST_LUADIR)/openrouter/

clean:
	rm -rf build
