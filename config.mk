# cs version and build settings (sbase style: edit here, or override on the command line)
VERSION = 0.1.0

PREFIX = /usr/local
MANPREFIX = $(PREFIX)/share/man

PKG_CONFIG = pkg-config
CC = cc
CFLAGS = -O2 -g
WARN = -Wall -Wextra
# lib/ in layers, each using only those above it in this list:
#   base (buffers, JSON, NDJSON, hashing), aws (config, credentials, SigV4,
#   HTTP, the client, retry), services (Kinesis, DynamoDB codecs and calls),
#   engines (put, tail, store, validate), tool (messages, options)
LIB_DIRS = base aws services engines tool
CPPFLAGS_BASE = -std=gnu11 -D_GNU_SOURCE $(LIB_DIRS:%=-Ilib/%)

# each package asked for on its own, so that one missing .pc file is named;
# libjq has no .pc file on Debian: fall back to the plain flags
PKGS = libcurl openssl libmicrohttpd libmaxminddb zlib
PKGS_MISSING := $(strip $(foreach p,$(PKGS),$(if $(shell $(PKG_CONFIG) --exists $(p) && echo y),,$(p))))
DEP_CFLAGS := $(foreach p,$(PKGS),$(shell $(PKG_CONFIG) --cflags $(p) 2>/dev/null)) \
	$(shell $(PKG_CONFIG) --cflags libjq 2>/dev/null)
DEP_LIBS := $(foreach p,$(PKGS),$(shell $(PKG_CONFIG) --libs $(p) 2>/dev/null)) \
	$(shell $(PKG_CONFIG) --libs libjq 2>/dev/null || echo -ljq -lonig) -lm -lpthread

# the test build: AddressSanitizer + UBSan, and the fuzzers (clang + libFuzzer)
SANFLAGS = -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
FUZZCC = clang
FUZZFLAGS = -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -g -O1
FUZZOBJFLAGS = -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined -g -O1
