# Sources and libraries of ed25519_fuzzer (included by fuzz/Makefile).
ed25519_fuzzer_SRCS = ../src/ed25519_strict.c
ed25519_fuzzer_LIBS = -lcrypto
