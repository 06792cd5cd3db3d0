/* SPDX-License-Identifier: MIT */
/* Figures of the shared database for /metrics (R-OPS-1), read at scrape time: the mail
 * outbox, the jobs table and the CRLs. Reads only. */
#ifndef SM_OPSSTATS_H
#define SM_OPSSTATS_H
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

struct db;

/* One row of a grouped figure: a key (job kind, CRL name) and two numbers. */
struct opsstat_row {
    char key[96];
    int64_t a, b;
};

struct opsstats {
    int64_t outbox_queued;    /* mails waiting to be sent */
    int64_t outbox_oldest_at; /* created_at of the oldest of them, 0 when none */
    struct opsstat_row *jobs; /* per kind: a = due and free now, b = the longest wait (s) */
    size_t njobs;
    struct opsstat_row *crls; /* per CRL: a = this_update, b = next_update */
    size_t ncrls;
};

int opsstats_read(struct db *db, int64_t now, struct opsstats *s, struct sm_err *e);
void opsstats_clear(struct opsstats *s);

#endif
