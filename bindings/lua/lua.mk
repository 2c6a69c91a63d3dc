# The Lua binding: payhook.core for Lua 5.4 and for LuaJIT 2.1 (the Lua
# 5.1 C API, as in OpenResty), and the Lua test suites.  Included by the
# top-level Makefile, whose CFLAGS, LIBS and CORE_OBJ it uses.
#
#   make lua                 both modules:
#                              build/lua54/payhook/core.so
#                              build/luajit/payhook/core.so
#   make lua54 / luajit      one of them
#   make lua-oom             the out-of-memory harness (Lua 5.4)
#   make test-lua            the suite in Lua 5.4 and in LuaJIT
#   make test-lua-valgrind   both suites (shorter loops) and the OOM harness
#                            under valgrind (any error or definite leak
#                            fails)
#   make test-lua-nginx      a real nginx + lua module on 127.0.0.1
#   make test-lua-all        all of the above: tests/lua/run_all.sh

LUA54 ?= lua5.4
LUAJIT ?= luajit
LUA54_CFLAGS := $(shell pkg-config --cflags lua5.4 2>/dev/null || echo -I/usr/include/lua5.4)
LUA54_LIBS := $(shell pkg-config --libs lua5.4 2>/dev/null || echo -llua5.4)
LUAJIT_CFLAGS := $(shell pkg-config --cflags luajit 2>/dev/null || echo -I/usr/include/luajit-2.1)

LUA_BIND_SRC := $(wildcard bindings/lua/*.c)
LUA_BIND_HDR := $(wildcard bindings/lua/*.h) csrc/payhook.h csrc/name_words.h
LUA54_OBJ := $(LUA_BIND_SRC:bindings/lua/%.c=build/lua54/obj/%.o)
LUAJIT_OBJ := $(LUA_BIND_SRC:bindings/lua/%.c=build/luajit/obj/%.o)

# The core objects come from the top-level Makefile ($(BUILD)/core), which
# compiles them with -fPIC.
LUA_CORE_OBJ := $(CORE_OBJ)

.PHONY: lua lua54 luajit lua-oom test-lua test-lua-valgrind test-lua-nginx \
        test-lua-all

lua: lua54 luajit
lua54: build/lua54/payhook/core.so
luajit: build/luajit/payhook/core.so

build/lua54/obj/%.o: bindings/lua/%.c $(LUA_BIND_HDR)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LUA54_CFLAGS) -Ibindings/lua -c $< -o $@

build/luajit/obj/%.o: bindings/lua/%.c $(LUA_BIND_HDR)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LUAJIT_CFLAGS) -Ibindings/lua -c $< -o $@

# No -llua: the module takes the Lua API from the interpreter that loads it.
build/lua54/payhook/core.so: $(LUA54_OBJ) $(LUA_CORE_OBJ)
	@mkdir -p $(dir $@)
	$(CC) -shared $(LDFLAGS) $^ $(LIBS) -o $@

build/luajit/payhook/core.so: $(LUAJIT_OBJ) $(LUA_CORE_OBJ)
	@mkdir -p $(dir $@)
	$(CC) -shared $(LDFLAGS) $^ $(LIBS) -o $@

# A Lua 5.4 host whose allocator fails on the Nth allocation, for N = 1, 2,
# ...: every payhook call must then either work or raise, and leak nothing.
build/lua54/oom_harness: tests/lua/oom_harness.c build/lua54/payhook/core.so
	$(CC) $(CFLAGS) $(LUA54_CFLAGS) $< $(LUA54_LIBS) -o $@

lua-oom: build/lua54/oom_harness

LUA_TEST_ENV = LUA_PATH="bindings/lua/?.lua;tests/lua/?.lua;;"

test-lua: lua
	$(LUA_TEST_ENV) LUA_CPATH="build/lua54/?.so;;" $(LUA54) tests/lua/run.lua
	$(LUA_TEST_ENV) LUA_CPATH="build/luajit/?.so;;" $(LUAJIT) tests/lua/run.lua

LUA_VALGRIND := valgrind -q --leak-check=full --errors-for-leak-kinds=definite \
            --error-exitcode=1

test-lua-valgrind: lua lua-oom
	$(LUA_TEST_ENV) LUA_CPATH="build/lua54/?.so;;" PAYHOOK_TEST_QUICK=1 \
	    $(LUA_VALGRIND) $(LUA54) tests/lua/run.lua
	$(LUA_TEST_ENV) LUA_CPATH="build/luajit/?.so;;" PAYHOOK_TEST_QUICK=1 \
	    $(LUA_VALGRIND) $(LUAJIT) tests/lua/run.lua
	$(LUA_TEST_ENV) LUA_CPATH="build/lua54/?.so;;" \
	    $(LUA_VALGRIND) build/lua54/oom_harness tests/lua/oom_cases.lua

test-lua-nginx: luajit
	bash tests/nginx/run.sh

test-lua-all:
	bash tests/lua/run_all.sh
