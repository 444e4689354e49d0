-- credit--1.0.sql: assembled by make from src/sql/NN-*.sql; edit those.
\echo Use "CREATE EXTENSION credit" to load this file. \quit
