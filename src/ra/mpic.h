/* SPDX-License-Identifier: MIT */
/* Multi-perspective issuance corroboration (R-VAL-8, BR 3.2.2.9).
 *
 * Primary side: every DNS TXT, web-page and CAA check that passes at the primary
 * (ra/dcv's dcv_check_dns and dcv_check_http, ra/caa's caa_check; the ACME challenges go
 * through the same functions) is repeated by the remote perspectives of [mpic]
 * perspectives, all asked in parallel with one deadline ([mpic] timeout_ms); no database
 * transaction is open while they are asked. The check passes only with the quorum of the
 * dated policy (core/policy: minimum perspectives, allowed disagreements, two RIRs among
 * the agreeing ones). A perspective that does not answer in time, answers garbage, an
 * answer for another request, an unsigned or stale answer, or a DNSSEC-bogus or SERVFAIL
 * observation counts as a disagreement. The attempt ("5/6", who answered what, the BR
 * version) goes into the check's evidence under "mpic"; callers that store evidence record
 * it with mpic_record_tx (table mpic_attempts) and name the result in their audit record.
 *
 * Perspective side: `shomei perspective` answers signed requests (mpic_agent_*). */
#ifndef SM_RA_MPIC_H
#define SM_RA_MPIC_H
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "core/err.h"

struct config;
struct db;

/* ACME's challenges (RFC 8555 8.3, 8.4): value is the key authorization (http-01) or its
 * digest (dns-01), file the http-01 token. */
enum mpic_kind {
    MPIC_DNS_TXT = 0,
    MPIC_HTTP_FILE,
    MPIC_CAA,
    MPIC_ACME_DNS01,
    MPIC_ACME_HTTP01,
    MPIC_ACME_TLSALPN01, /* value: the key authorization (RFC 8737) */
    MPIC__KINDS
};
const char *mpic_kind_name(int kind); /* "dns-txt", "http-file", "caa", "acme-dns-01", ... */
int mpic_kind_parse(const char *s);   /* -1 when unknown */

/* What the primary checked and the perspectives repeat. */
struct mpic_check {
    int kind;
    const char *name;       /* the ADN (DNS, web page) or the name (CAA) */
    const char *value;      /* random value (DNS, web page) */
    const char *file;       /* web page: file name, NULL = derived from the value */
    const char *identities; /* CAA: issuer domain names */
    const char *method;     /* CAA: RFC 8657 label, or NULL */
    const char *account;    /* CAA: account URI, or NULL */
};

/* The process-wide perspective set, read once at start by the composition root (serve,
 * the dcv/caa commands). Without a call the process is "unconfigured" and checks are the
 * primary's alone (the perspective agent itself, unit tests of ra/dcv). With no
 * [mpic] perspectives and [testing] not_for_production the checks are the primary's and
 * their evidence says so ("primary-only"). Errors: a malformed perspective entry, an
 * unreadable [mpic] key, two perspectives less than MPIC_MIN_DISTANCE_KM apart, and
 * (unless not_for_production) a perspective without coordinates: the location of an entry
 * is LABEL@LAT,LON. */
int mpic_configure(const struct config *c, struct sm_err *e);

/* BR 3.2.2.9: the least distance between two network perspectives. */
#define MPIC_MIN_DISTANCE_KM 500
/* Great-circle distance in km between two points given in decimal degrees. */
double mpic_distance_km(double lat1, double lon1, double lat2, double lon2);
void mpic_unconfigure(void);
/* 0 when validation may run at `now`, else -SM_E_MPIC with e saying why (too few
 * perspectives for the date; the primary's key missing). */
int mpic_ready(time_t now, struct sm_err *e);

/* The BR 3.2.2.9 rule (pure): 1 when `used` perspectives asked, `agree` of them
 * corroborating, spanning `rirs` distinct RIRs, pass at `at`; else 0 and *why one of
 * mpic.too_few, mpic.quorum, mpic.rirs. */
int mpic_quorum(time_t at, size_t used, size_t agree, size_t rirs, const char **why);

/* Corroborates a check the primary has decided: when *ok is 1 and the process has
 * perspectives, asks them all; *ok becomes 0 with *reason mpic.* and detail when the
 * quorum fails or the perspectives are too few for the date; *evidence (JSON text,
 * malloc'd) gains "mpic". Nothing changes when unconfigured or when *ok is 0.
 * 0, or -SM_E_NOMEM. */
int mpic_after(const struct mpic_check *q, time_t now, int *ok, const char **reason, char *detail,
               size_t dn, char **evidence);

/* Stores the attempt found in evidence (its "mpic" member; nothing when there is none) as a
 * row of mpic_attempts for order_id and name, inside the caller's transaction. *result
 * (may be NULL, 16 bytes) gets "n/m" or "". */
int mpic_record_tx(struct db *db, int64_t order_id, const char *name, const char *method,
                   const char *evidence, char *result, struct sm_err *e);

/* Operator health: per perspective, answers that agreed or disagreed ("up") and calls
 * that got no usable answer ("down"), since start. */
struct mpic_health {
    char label[64];
    char rir[16];
    char url[256];
    uint64_t up, down;
    int64_t last_ok_at, last_fail_at;
    int64_t since; /* when the perspective was configured */
    char last_error[64];
};
/* Copies up to max rows into out; returns the count of perspectives configured. */
size_t mpic_health_read(struct mpic_health *out, size_t max);
/* One line for pages and logs: "6 perspectives, 4 required at this date" or why not. */
void mpic_status_text(time_t now, char *out, size_t n);

/* ---- the perspective agent ---- */
struct mpic_agent;
/* Reads [perspective] of c (label, key, primary_key, max_skew) and keeps c for the
 * checks (its [dns] and [dcv] settings: this perspective's own resolver). */
int mpic_agent_open(const struct config *c, struct mpic_agent **out, struct sm_err *e);
void mpic_agent_close(struct mpic_agent *a);
/* Answers one request body with its signature header: *status (200 answered; 400
 * malformed, 401 bad signature, 408 stale or past its deadline, 409 replayed), *answer
 * (malloc'd JSON) and, for 200, answer_sig (PERSP_B64_MAX bytes). Thread-safe. */
int mpic_agent_handle(struct mpic_agent *a, const char *body, size_t len, const char *sig,
                      int *status, char **answer, char *answer_sig);

/* Builds a signed request for a check (for the CLI probe and tests): *body malloc'd. */
int mpic_request_build(const unsigned char *sk, const struct mpic_check *q, const char *id,
                       time_t ts, int64_t deadline_ms, char **body, char *sig_b64);

#endif
