/* SPDX-License-Identifier: MIT */
/* The revocation worker of shomei serve (R-REV-1, R-REV-2, R-SCL-1): job crl.sign every
 * [revocation] crl_check_seconds (ra/crl.h: re-signs the CRLs that need it) and the
 * one-shot jobs cert.revoke (key = serial) that carry out scheduled revocations on their
 * date (ra/revoke.h), each run by one process at a time. */
#ifndef SM_JOBS_REVOCATION_H
#define SM_JOBS_REVOCATION_H
#include "core/err.h"

struct config;
struct jobs_runner;

/* Registers the kinds crl.sign and cert.revoke on r (for the worker and tests). */
int revocation_jobs_add(struct jobs_runner *r, const struct config *cfg, struct sm_err *e);

/* Starts the runner (cfg must outlive revocation_worker_stop). */
int revocation_worker_start(const struct config *cfg, struct sm_err *e);
void revocation_worker_stop(void);

#endif
