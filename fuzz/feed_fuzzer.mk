feed_fuzzer_SRCS = ../src/feed_parse.c
