# credit: county-level public credit information platform for PostgreSQL.
EXTENSION   = credit
MODULE_big  = credit
EXTVERSION  = 1.0

# One C file per concern under src/; the install script is assembled from the
# ordered SQL fragments under src/sql/ (NN-name.sql).
OBJS        = $(patsubst %.c,%.o,$(sort $(wildcard src/*.c)))
SQL_PARTS   = $(sort $(wildcard src/sql/*.sql))
DATA_built  = $(EXTENSION)--$(EXTVERSION).sql
DOCS        = README.md

REGRESS     = $(basename $(notdir $(sort $(wildcard sql/*.sql))))
REGRESS_OPTS = --inputdir=. --load-extension=credit
ISOLATION   = $(basename $(notdir $(sort $(wildcard specs/*.spec))))
ISOLATION_OPTS = --load-extension=credit

PG_CONFIG  ?= pg_config
SHLIB_LINK += -lcrypto -licuuc -licui18n
PG_CPPFLAGS += -I$(srcdir)/src
PG_CFLAGS  += -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers -Werror

# SANITIZE=1: AddressSanitizer + UBSan build (make test-asan); the server then
# needs gcc's libasan preloaded.  Objects are rebuilt when the setting changes.
ifdef SANITIZE
PG_CFLAGS  += -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
SHLIB_LINK += -fsanitize=address,undefined
endif
BUILD_FLAGS := SANITIZE=$(SANITIZE)
$(shell [ "$$(cat .build-flags 2>/dev/null)" = "$(BUILD_FLAGS)" ] || echo "$(BUILD_FLAGS)" > .build-flags)

EXTRA_CLEAN = .build-flags $(DATA_built) results regression.diffs regression.out output_iso output_at output_partitioned tmp_check log

PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

$(OBJS): .build-flags

$(EXTENSION)--$(EXTVERSION).sql: $(SQL_PARTS)
	cat $^ > $@

.PHONY: test demo fuzz bench deps asan test-asan
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
# libFuzzer harnesses of the parsers, each for FUZZ_SECONDS (default 60).
fuzz:
	$(MAKE) -C fuzz run
bench:
	bench/run
deps:
	tools/deps.sh

# Objects depend on every header of src/ (PGXS tracks no header dependencies).
$(OBJS): $(wildcard src/*.h)
