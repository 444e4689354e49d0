/*
 * ingest.h
 *      Declarations shared by the record triggers (record.c, trigger.c,
 *      trigger_write.c).
 */
#ifndef INGEST_H
#define INGEST_H

#include "postgres.h"

#include "executor/spi.h"
#include "utils/hsearch.h"

#include "evalstate.h"

/* What the catalogue says about an item, for warnings. */
#define CATALOG_KNOWN       0x01
#define CATALOG_NEGATIVE    0x02   /* polarity negative */
#define CATALOG_SERIOUS     0x04   /* negative and severity serious */
#define CATALOG_LIST        0x08   /* negative list item (category list) */
#define CATALOG_COMMITMENT  0x10   /* negative commitment item (broken commitment) */

#define ITEM_KEY_MAX 64

/* What caused a fold: also the grade_change.cause values. */
typedef enum FoldCause
{
    CAUSE_INSERT,
    CAUSE_UPDATE,
    CAUSE_DELETE,
    CAUSE_DECAY
} FoldCause;

extern const char *const fold_cause_name[];

/* credit.fold_at */
#define FOLD_AT_COMMIT      0
#define FOLD_AT_STATEMENT   1
extern int  credit_fold_at;

/* A model taking part in this statement. */
typedef struct StmtModel
{
    EvalModel  *m;
    char       *code;
} StmtModel;

/* The (model, rule) pairs that rate an item, and the item's catalogue flags. */
typedef struct ItemRules
{
    char        code[ITEM_KEY_MAX]; /* hash key */
    int         n;
    int16      *model;
    int16      *rule;
    uint8       flags;
} ItemRules;

typedef struct GradeKey
{
    int64       subject;
    int32       model;
    int32       pad;
} GradeKey;

/* One touched (subject, model) of the statement. */
typedef struct GradeWork
{
    GradeKey    key;
    EvalState  *delta;          /* the statement's change, anchored today */
    int64       record_id;      /* last record that touched it */
    FoldCause   cause;          /* what the last change of it was */
    bool        in_scope;
    bool        lock_only;      /* locked for lock order only: not written unless missing */
    bool        fresh;          /* its delta is unusable: evaluate afresh */
    bool        locked;         /* its stored row is locked */
    bool        inserted;       /* its row was inserted by this statement */
    bool        has_old;        /* old grade/score known */
    bool        old_grade_null;
    char       *old_grade;
    double      old_score;
    int         old_rank;       /* rank of the old grade, 0 unknown */
    EvalState  *st;             /* new state */
    EvalResult  res;
    bool        changed_grade;
} GradeWork;

/* Everything a statement's fold needs. */
typedef struct FoldCtx
{
    MemoryContext cxt;
    Oid         nspid;
    const char *nsp;            /* quoted schema name */
    DateADT     today;
    FoldCause   cause;
    TupleDesc   rec_desc;
    int         att_id,
                att_subject,
                att_item,
                att_decided,
                att_value,
                att_status;
    int         nmodels;
    StmtModel  *models;
    HTAB       *items;          /* ItemRules by item code */
    HTAB       *work;           /* GradeWork by GradeKey */
    /* warning rules */
    bool        warn_enabled[8];
    int         repeat_threshold;
    int         repeat_window;
    int         drop_threshold;
    /* record warnings collected while scanning (inserted rows only) */
    int         nrw,
                rw_cap;
    int64      *rw_subject;
    int64      *rw_record;
    char      **rw_item;
    const char **rw_kind;
    HTAB       *repeat_subjects; /* int64 set */
} FoldCtx;

/* Indexes into FoldCtx.warn_enabled. */
enum
{
    W_GRADE_DROP, W_SERIOUS, W_LISTED, W_RELATED, W_REPEAT, W_COMMITMENT, W_NKINDS
};
extern const char *const fold_warn_kind[];

/* trigger.c, trigger_write.c and trigger_commit.c */
extern void ingest_load_config(FoldCtx *c);
extern GradeWork **ingest_fold_scope(FoldCtx *c, int *nout);
extern void ingest_queue_fold(FoldCtx *c, GradeWork **w, int n);
extern void ingest_spi_check(int ret, int expected, const char *what);
extern int ingest_spi_run(const char *sql, int nargs, Oid *types, Datum *values, bool readonly);
extern Datum ingest_int8_array(int64 *v, int n);
extern Datum ingest_float8_array(double *v, int n);
extern Datum ingest_bool_array(bool *v, int n);
extern Datum ingest_varlena_array(Datum *d, bool *nulls, int n, Oid type);
extern Datum ingest_text_array(char **s, int n);
extern int ingest_model_index(FoldCtx *c, const char *code);
extern GradeWork * ingest_work_lookup(FoldCtx *c, int64 subject, const char *model);
extern GradeWork * ingest_work_of_row(FoldCtx *c, uint64 i);
extern void ingest_work_key_arrays(FoldCtx *c, GradeWork **w, int n, Datum *subjects, Datum *models);
extern int ingest_work_cmp(const void *a, const void *b, void *arg);
extern int64 ingest_fold_apply(FoldCtx *c, GradeWork **w, int n);
extern void ingest_lock_and_fold(FoldCtx *c, GradeWork **w, int n);
extern void ingest_fold_fresh(FoldCtx *c, GradeWork **w, int n);
extern void ingest_write_updates(FoldCtx *c, GradeWork **w, int n);
extern int64 ingest_emit_grade_changes(FoldCtx *c, GradeWork **w, int n);
extern void ingest_emit_industry_grades(FoldCtx *c, GradeWork **w, int n);
extern void ingest_lock_models_shared(FoldCtx *c, GradeWork **w, int n);
extern void ingest_emit_record_warnings(FoldCtx *c);
extern void ingest_note_record_warning(FoldCtx *c, int64 subject, int64 record, const char *item, const char *kind);

/* record.c */
extern uint8 credit_catalog_flags(Oid nspid, const char *code);

#endif                          /* INGEST_H */
