# openrouter -- build, test and install the C core and the Lua facade.
# Every knob is a variable (LuaRocks names); nothing here needs editing.
#   make                       build build/$(LUA_VERSION)/openrouter/core.so (Lua 5.4)
#   make LUA_VERSION=luajit    the same for LuaJIT (also 5.1, 5.2, 5.3)
#   make test                  install what is missing, run every test (Lua 5.4)
#   make demo                  stream a chat (the fake server, or the real API with OPENROUTER_API_KEY)

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
               -I$(LUA_INCDIR) $(CURL_CFLAGS) $(EXTRA_CFLAGS)
LIBFLAG     ?= -shared
LDFLAGS     ?=

PREFIX      ?= /usr/local
INST_LIBDIR ?= $(PREFIX)/lib/lua/$(LUA_ABI)
INST_LUADIR ?= $(PREFIX)/share/lua/$(LUA_ABI)

BUILD       := build/$(LUA_VERSION)$(BUILD_SUFFIX)
CORE        := $(BUILD)/openrouter/core.so
CORE_SRC    := csrc/sse.c csrc/evq.c csrc/errclass.c csrc/transport.c csrc/multi.c \
               csrc/or_core.c csrc/or_transfer.c csrc/or_ssetest.c csrc/or_classify.c
CORE_HDR    := $(wildcard csrc/*.h)
LUA_SRC     := $(wildcard lua/openrouter/*.lua)
FAKESERVER  := build/fakeserver
SSE_TEST    := $(BUILD)/sse_test
ERRC_TEST   := $(BUILD)/errclass_test
C_TESTS     := $(SSE_TEST) $(ERRC_TEST)

.PHONY: all test test-all test-c demo fakeserver-selftest fuzz fuzz-check fuzz-one asan valgrind bench fuzz install clean deps check-exports

all: $(CORE)

$(CORE): $(CORE_SRC) $(CORE_HDR)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(LIBFLAG) -o $@ $(CORE_SRC) $(CURL_LIBS) $(LDFLAGS)

$(FAKESERVER): spec/support/fakeserver.c
	@mkdir -p build
	$(CC) -std=c99 -D_GNU_SOURCE -O2 -g -Wall -Wextra -Werror -o $@ $<

# The parser's own tests include sse.c (to inject allocation failures).
C_TEST_FLAGS := -std=c99 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror -pedantic -Wshadow \
                -Wmissing-prototypes -Icsrc

$(SSE_TEST): spec/c/sse_test.c csrc/sse.c csrc/sse.h
	@mkdir -p $(BUILD)
	$(CC) $(C_TEST_FLAGS) -O1 -g $(SANITIZE) -o $@ spec/c/sse_test.c

$(ERRC_TEST): spec/c/errclass_test.c csrc/errclass.c csrc/errclass.h
	@mkdir -p $(BUILD)
	$(CC) $(C_TEST_FLAGS) $(CURL_CFLAGS) -O1 -g $(SANITIZE) -o $@ spec/c/errclass_test.c \
	  csrc/errclass.c $(CURL_LIBS)

test-c: $(C_TESTS)
	@for t in $(C_TESTS); do $$t || exit 1; done

# Coverage-guided fuzzing of the SSE parser and the error classifier
# (clang's libFuzzer, no Lua), each for FUZZ_SECONDS.
FUZZ_SECONDS ?= 60
FUZZ_FLAGS := $(C_TEST_FLAGS) -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
fuzz:
	@mkdir -p build
	clang $(FUZZ_FLAGS) -o build/sse_fuzz csrc/sse.c spec/c/sse_fuzz.c
	clang $(FUZZ_FLAGS) $(CURL_CFLAGS) -o build/errclass_fuzz csrc/errclass.c spec/c/errclass_fuzz.c $(CURL_LIBS)
	build/sse_fuzz -max_total_time=$(FUZZ_SECONDS)
	build/errclass_fuzz -max_total_time=$(FUZZ_SECONDS)

# CI's bounded run of both fuzzers, with a tally line.
fuzz-check:
	@p=0; f=0; for t in sse errclass; do \
	  if $(MAKE) -s fuzz-one T=$$t > build/fuzz-$$t.log 2>&1; then p=$$((p+1)); echo "fuzz $$t: ok ($$(grep -o 'Done [0-9]* runs' build/fuzz-$$t.log))"; \
	  else f=$$((f+1)); echo "fuzz $$t: FAILED"; tail -n 30 build/fuzz-$$t.log; fi; done; \
	echo "$$p passed, $$f failed"; [ $$f -eq 0 ]

fuzz-one:
	@mkdir -p build
	@clang $(FUZZ_FLAGS) $(CURL_CFLAGS) -o build/$(T)_fuzz csrc/$(T).c spec/c/$(T)_fuzz.c $(CURL_LIBS)
	build/$(T)_fuzz -max_total_time=$(FUZZ_SECONDS)

deps:
	@bash .ci/deps $(LUA_VERSION)

# The whole suite for one Lua: the C unit tests, then busted; the last line
# is the total "N passed, N failed".
test: deps $(CORE) $(FAKESERVER) $(C_TESTS)
	@bash spec/support/run-tests $(LUA_VERSION) $(BUILD)

test-all: deps
	@bash spec/support/run-all

demo: deps $(CORE) $(FAKESERVER)
	@bash examples/demo.sh $(LUA) $(BUILD)

build/nodlclose.so: spec/support/nodlclose.c
	@mkdir -p build
	$(CC) -Wall -Wextra -Werror -shared -fPIC -o $@ $<

asan: build/nodlclose.so
	$(MAKE) BUILD_SUFFIX=-asan SANITIZE="-fsanitize=address,undefined -fno-omit-frame-pointer" \
	  EXTRA_CFLAGS="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" \
	  LDFLAGS="-fsanitize=address,undefined" OR_RUNNER=asan test

valgrind: $(CORE) $(FAKESERVER) $(C_TESTS) build/nodlclose.so
	@OR_RUNNER=valgrind bash spec/support/run-tests $(LUA_VERSION) $(BUILD)

# Figures, not tests: the SSE parser alone (C), then the whole client on
# the fake server per API layer, memory, and 200 concurrent streams.
bench: $(CORE) $(FAKESERVER)
	@mkdir -p build
	@$(CC) $(C_TEST_FLAGS) -O2 -o build/sse_bench csrc/sse.c spec/c/sse_bench.c && build/sse_bench
	@$(LUA) spec/bench.lua $(BUILD)

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
