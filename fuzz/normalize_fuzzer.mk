# Sources and libraries of normalize_fuzzer (included by fuzz/Makefile).
normalize_fuzzer_SRCS = ../src/normalize_core.c ../src/code_parse.c ../src/ident_parse.c
normalize_fuzzer_LIBS = $(shell pkg-config --libs icu-uc icu-i18n)
