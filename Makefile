# cs - clickstream tools for Kinesis and DynamoDB
#
#   make            build lib/libcs.a and bin/cs-*
#   make check      install what the tests need, build with ASan+UBSan, run every test
#   make demo       install what is missing, run the sample's whole flow locally
#   make fuzz       run each fuzz harness for FUZZ_SECONDS
#   make bench      run every bench/ script, write bench/RESULTS.md
#   make install    PREFIX, DESTDIR and MANPREFIX honoured; make uninstall

include config.mk

LIB_SRC := $(sort $(wildcard $(LIB_DIRS:%=lib/%/*.c)))
CMD_SRC := $(sort $(wildcard cmd/cs-*.c))
CMDS := $(patsubst cmd/%.c,%,$(CMD_SRC))
UNIT_SRC := $(sort $(wildcard tests/unit/test-*.c))
FUZZ_SRC := $(sort $(wildcard tests/fuzz/fuzz-*.c))
MAN1 := $(sort $(wildcard man/*.1))
MAN7 := $(sort $(wildcard man/*.7))

ALL_CPPFLAGS = $(CPPFLAGS_BASE) -DCS_VERSION_STRING='"$(VERSION)"' $(DEP_CFLAGS) $(CPPFLAGS)

OBJ := $(LIB_SRC:lib/%.c=build/obj/%.o)
ASAN_OBJ := $(LIB_SRC:lib/%.c=build/asan/obj/%.o)
BINS := $(CMDS:%=bin/%)
ASAN_BINS := $(CMDS:%=build/asan/bin/%)
UNITS := $(UNIT_SRC:tests/unit/%.c=build/asan/unit/%)
FUZZERS := $(FUZZ_SRC:tests/fuzz/%.c=build/fuzz/%)
FUZZ_OBJ := $(LIB_SRC:lib/%.c=build/fuzz/obj/%.o)

all: need-pkgs $(BINS)

# a missing library is named here, not by a link error far from the cause
need-pkgs:
	$(if $(PKGS_MISSING),@echo "cs: pkg-config cannot find: $(PKGS_MISSING) (scripts/deps.sh build installs them)" >&2; exit 1)

lib/libcs.a: $(OBJ)
	rm -f $@
	ar rcs $@ $(OBJ)

build/obj/%.o: lib/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CPPFLAGS) $(CFLAGS) $(WARN) -MMD -MP -c -o $@ $<

build/obj/cmd/%.o: cmd/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CPPFLAGS) $(CFLAGS) $(WARN) -MMD -MP -c -o $@ $<

bin/%: build/obj/cmd/%.o lib/libcs.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< lib/libcs.a $(DEP_LIBS)

# --- the sanitizer build used by the tests --------------------------------
build/asan/libcs.a: $(ASAN_OBJ)
	rm -f $@
	ar rcs $@ $(ASAN_OBJ)

build/asan/obj/%.o: lib/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CPPFLAGS) -O1 -g $(SANFLAGS) $(WARN) -MMD -MP -c -o $@ $<

build/asan/obj/cmd/%.o: cmd/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CPPFLAGS) -O1 -g $(SANFLAGS) $(WARN) -MMD -MP -c -o $@ $<

build/asan/bin/%: build/asan/obj/cmd/%.o build/asan/libcs.a
	@mkdir -p $(@D)
	$(CC) $(SANFLAGS) -o $@ $< build/asan/libcs.a $(DEP_LIBS)

build/asan/unit/%: tests/unit/%.c tests/unit/tap.h build/asan/libcs.a
	@mkdir -p $(@D) build/asan/obj/unit
	$(CC) $(ALL_CPPFLAGS) -Itests/unit -DSRCDIR='"$(CURDIR)"' -O1 -g $(SANFLAGS) $(WARN) -MMD -MP -MF build/asan/obj/unit/$(@F).d -o $@ $< build/asan/libcs.a $(DEP_LIBS)

# the library is compiled once for every harness
build/fuzz/obj/%.o: lib/%.c
	@mkdir -p $(@D)
	$(FUZZCC) $(ALL_CPPFLAGS) $(FUZZOBJFLAGS) -MMD -MP -c -o $@ $<

build/fuzz/libcs.a: $(FUZZ_OBJ)
	rm -f $@
	ar rcs $@ $(FUZZ_OBJ)

build/fuzz/%: tests/fuzz/%.c build/fuzz/libcs.a
	@mkdir -p $(@D)
	$(FUZZCC) $(ALL_CPPFLAGS) $(FUZZFLAGS) -o $@ $< build/fuzz/libcs.a $(DEP_LIBS)

asan: need-pkgs $(ASAN_BINS) $(UNITS)
fuzzers: $(FUZZERS)

# --- the README's commands -------------------------------------------------
# deps are installed first, then a fresh make sees their pkg-config flags
check:
	scripts/deps.sh test
	$(MAKE) -j$$(nproc) all asan fuzzers
	tests/run.sh

demo:
	scripts/deps.sh demo
	$(MAKE) all
	scripts/demo.sh

FUZZ_SECONDS = 60
fuzz:
	scripts/deps.sh test
	$(MAKE) fuzzers
	tests/fuzz/run.sh $(FUZZ_SECONDS)

bench:
	scripts/deps.sh bench
	$(MAKE) all
	bench/run.sh

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(MANPREFIX)/man1 $(DESTDIR)$(MANPREFIX)/man7
	install -m 755 $(BINS) $(DESTDIR)$(PREFIX)/bin/
	$(if $(MAN1),install -m 644 $(MAN1) $(DESTDIR)$(MANPREFIX)/man1/)
	$(if $(MAN7),install -m 644 $(MAN7) $(DESTDIR)$(MANPREFIX)/man7/)

uninstall:
	rm -f $(CMDS:%=$(DESTDIR)$(PREFIX)/bin/%)
	rm -f $(MAN1:man/%=$(DESTDIR)$(MANPREFIX)/man1/%) $(MAN7:man/%=$(DESTDIR)$(MANPREFIX)/man7/%)

clean:
	rm -rf bin build lib/libcs.a tests/out

.PHONY: all need-pkgs asan fuzzers check demo fuzz bench install uninstall clean
.SECONDARY:

# the headers each object was built from: a changed header rebuilds the tools and tests too
-include $(OBJ:.o=.d) $(ASAN_OBJ:.o=.d) $(FUZZ_OBJ:.o=.d) $(CMDS:%=build/obj/cmd/%.d) \
    $(CMDS:%=build/asan/obj/cmd/%.d) $(UNITS:build/asan/unit/%=build/asan/obj/unit/%.d)
