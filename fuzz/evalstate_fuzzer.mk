# Sources of evalstate_fuzzer (included by fuzz/Makefile).
evalstate_fuzzer_SRCS = ../src/evalstate_codec.c
evalstate_fuzzer_LIBS = -lm
