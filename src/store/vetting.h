/* SPDX-License-Identifier: MIT */
/* Vetting records of orders (R-VAL-4..6): organization checks recorded by officers
 * (vetting_checks), document requests and uploaded documents. All SQL for those tables
 * lives here; the rules (who may record what, when) are in ra/order.c. Every write runs
 * in the caller's transaction next to its audit record. */
#ifndef SM_STORE_VETTING_H
#define SM_STORE_VETTING_H
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

struct db;

/* One organization check (R-VAL-4). Strings point into the record (fixed arrays). */
struct vetting_check_row {
    int64_t id, order_id, org_id;
    char kind[16];    /* registry | tdb | name_match | domain_owner | phone */
    char source[128]; /* e.g. "登記情報提供サービス", "TDB 企業コード 123456789" */
    char result[4];   /* ok | ng */
    char note[512];
    char phone[32];         /* phone checks: the number called */
    char phone_source[128]; /* phone checks: where the number came from */
    int64_t officer_id;
    int64_t at;
};

/* Inserts c (id ignored; *id may be NULL). Caller's transaction. */
int vetting_check_insert(struct db *db, const struct vetting_check_row *c, int64_t *id,
                         struct sm_err *e);
/* The checks of an order, oldest first; *rows malloc'd (free()), NULL when *n == 0. */
int vetting_checks_list(struct db *db, int64_t order_id, struct vetting_check_row **rows, size_t *n,
                        struct sm_err *e);
/* The newest check of kind with result "ok" for organization org_id done at or before
 * `before` and after the organization's vetting_reset_at (a change of its registration,
 * migration 0056); -SM_E_NOTFOUND when there is none (R-VAL-5 reuse). */
int vetting_check_last_ok(struct db *db, int64_t org_id, const char *kind, int64_t before,
                          struct vetting_check_row *out, struct sm_err *e);

/* The "ok" checks of kind for organization org_id as vetting_check_last_ok counts them,
 * newest first (at most 50); *rows malloc'd (free()), NULL when *n == 0. */
int vetting_checks_ok_list(struct db *db, int64_t org_id, const char *kind, int64_t before,
                           struct vetting_check_row **rows, size_t *n, struct sm_err *e);

/* A document an officer asked for (R-VAL-6). */
struct doc_request_row {
    int64_t id, order_id;
    char kind[24]; /* phone_bill | authorization_letter | pledge | other */
    char note[512];
    int64_t requested_by, at, fulfilled_at; /* fulfilled_at 0 = open */
};
int vetting_docreq_insert(struct db *db, const struct doc_request_row *r, int64_t *id,
                          struct sm_err *e);
int vetting_docreqs_list(struct db *db, int64_t order_id, struct doc_request_row **rows, size_t *n,
                         struct sm_err *e);
/* Marks the open requests of kind on the order fulfilled at `at`. */
int vetting_docreq_fulfil(struct db *db, int64_t order_id, const char *kind, int64_t at,
                          struct sm_err *e);

/* An uploaded document. data is owned (malloc'd) in results of vetting_doc_get only;
 * lists leave it NULL. */
struct document_row {
    int64_t id, order_id;
    char kind[24];
    char file_name[256];
    char sniffed_type[32]; /* application/pdf | image/jpeg | image/png */
    int64_t size;
    unsigned char *data;
    int64_t uploaded_by, at;
};
int vetting_doc_insert(struct db *db, const struct document_row *d, int64_t *id, struct sm_err *e);
/* The documents of an order without their bytes, oldest first. free() the array. */
int vetting_docs_list(struct db *db, int64_t order_id, struct document_row **rows, size_t *n,
                      struct sm_err *e);
/* Frees an array of documents with their bytes (plain free() does for a list). */
void document_rows_free(struct document_row *v, size_t n);
/* One document of the order with its bytes (free out->data). -SM_E_NOTFOUND when the
 * document does not belong to that order. */
int vetting_doc_get(struct db *db, int64_t order_id, int64_t doc_id, struct document_row *out,
                    struct sm_err *e);

#endif
