# credit: county-level public credit information platform for PostgreSQL.
EXTENSION   = credit
MODULE_big  = credit
EXTVERSION  = 1.0

# One C file per concern under src/; the install script is assembled from the
# ordered SQL fragments under src/sql/ (NN-name.sql).
OBJS        = $(patsubst %.c,%.o,$(sort $(wildcard src/*.c)))
SQL_PARTS   = $(sort $(wildcard src/sql/*.sql))
DATA_built  = $(EXTENSION)--$(EXTVERSION).sql
# Released versions: their install scripts frozen as they shipped, and the
# upgrade scripts between them (versions/credit--A--B.sql).  The newest
# version's script is the one built from src/sql/; t/040_versions.pl checks
# that it equals the frozen one while the version is a release, and that an
# older release updated to it gives the same catalog.
DATA        = $(filter-out versions/$(EXTENSION)--$(EXTVERSION).sql,$(wildcard versions/$(EXTENSION)--*.sql))
DOCS        = README.md

REGRESS     = $(basename $(notdir $(sort $(wildcard sql/*.sql))))
REGRESS_OPTS = --inputdir=. --load-extension=credit
ISOLATION   = $(basename $(notdir $(sort $(wildcard specs/*.spec))))
ISOLATION_OPTS = --load-extension=credit

PG_CONFIG  ?= pg_config
PKG_CONFIG ?= pkg-config
PG_CPPFLAGS += -I$(srcdir)/src $(shell $(PKG_CONFIG) --cflags-only-I icu-uc icu-i18n 2>/dev/null)
# OpenSSL's libcrypto and ICU as PostgreSQL was configured with them (LIBS and
# ICU_LIBS of its Makefile.global, read when PGXS is included below), else as
# pkg-config reports them; expanded when the library is linked.
SHLIB_LINK += $(if $(filter openssl,$(with_ssl)),$(filter -lcrypto,$(LIBS)),$(shell $(PKG_CONFIG) --libs libcrypto)) \
              $(if $(filter yes,$(with_icu)),$(ICU_LIBS),$(shell $(PKG_CONFIG) --libs icu-uc icu-i18n))
PG_CFLAGS  += -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers
# WERROR=1 (make test, make demo and CI set it): warnings are errors.  A plain
# make only shows them, so a packager's newer compiler still builds.
ifeq ($(WERROR),1)
PG_CFLAGS  += -Werror
endif

# SANITIZE=1: AddressSanitizer + UBSan build (make test-asan); the server then
# needs gcc's libasan preloaded.  Objects are rebuilt when the setting changes.
ifdef SANITIZE
PG_CFLAGS  += -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
SHLIB_LINK += -fsanitize=address,undefined
endif
BUILD_FLAGS := SANITIZE=$(SANITIZE) WERROR=$(WERROR)
$(shell [ "$$(cat .build-flags 2>/dev/null)" = "$(BUILD_FLAGS)" ] || echo "$(BUILD_FLAGS)" > .build-flags)

EXTRA_CLEAN = .build-flags .indent $(DATA_built) results regression.diffs regression.out output_iso output_at output_partitioned tmp_check log

PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

$(OBJS): .build-flags

$(EXTENSION)--$(EXTVERSION).sql: $(SQL_PARTS)
	cat $^ > $@

.PHONY: test demo fuzz bench deps asan test-asan indent smith
# Every suite (pg_regress, isolation, TAP) against a throwaway cluster.
test:
	tools/test.sh
# Build, install, load a synthetic county, evaluate it and print a tour.
demo:
	tools/demo.sh
# Every suite with the extension built with -fsanitize=address,undefined.
test-asan:
	SANITIZE=1 tools/test.sh
asan: test-asan
# A bounded sqlsmith run against a small county (not part of make test).
smith:
	tools/smith.sh
# libFuzzer harnesses of the parsers and decoders, each for FUZZ_SECONDS (default 60).
fuzz:
	$(MAKE) -C fuzz run
bench:
	bench/run
deps:
	tools/deps.sh
# pgindent over src/ with a typedefs list (docs/testing.md: where it finds
# pgindent and pg_bsd_indent).
indent:
	tools/indent.sh

# Objects depend on every header of src/ (PGXS tracks no header dependencies).
$(OBJS): $(wildcard src/*.h)
