/* SPDX-License-Identifier: MIT */
/* The install check (設定確認, R-DL-2): reads the chain a server sends (net/tlscheck) and
 * judges it against this CA's own records: which certificate is served (ours? which
 * serial and state?), hostname match, validity, the intermediate served against the one
 * the certificate's root option wants (3 tiers under root A, or the cross-certificate for
 * root B), completeness. One call for the page, the API and `shomei check`. */
#ifndef SM_RA_CHECK_H
#define SM_RA_CHECK_H
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "core/err.h"

struct db;
struct fetch_opts;

#define CHECK_MAX_FINDINGS 8

/* One finding. code is static and stable (the CLI prints it, the API returns it, the page
 * translates "check.code.<code with '.' as '_'>"):
 *   ok                          everything right
 *   target.invalid              not an https://HOST[:PORT] URL
 *   target.refused              a private or loopback address, not allowed here
 *   target.dns                  no address for the host
 *   tls.no_answer               nothing answers in time / connection refused
 *   tls.no_tls                  the port answers but speaks no TLS
 *   cert.unreadable             the served certificate cannot be parsed
 *   cert.expired, cert.not_yet_valid
 *   name.mismatch               the certificate does not name the expected host
 *   cert.foreign_ca             issued by another CA
 *   cert.unknown                our issuer's name but no such serial in our records
 *   cert.revoked                our records say revoked (or revocation scheduled: warning)
 *   chain.missing_intermediate  the issuing CA certificate is not sent
 *   chain.cross_root            the cross-certificate (root B) sent where the 3-tier chain
 *                               under root A was wanted
 *   chain.wrong_intermediate    an intermediate that is not the one of this certificate
 *                               and root option
 * detail: English detail for the CLI and logs. */
struct check_finding {
    const char *code;
    char detail[200];
};

struct check_report {
    char url[512], servername[256], address[64], tls_version[16];
    int port;
    int ours;               /* the leaf was issued by one of our CAs */
    char serial[48];        /* the leaf's serial, lower-case hex */
    char subject_cn[256];   /* the leaf's CN */
    char state[24];         /* our record's state ("" when not ours) */
    char level[4], root[2]; /* our record's level and root option */
    int64_t not_before, not_after;
    size_t nchain; /* certificates served */
    size_t n;      /* findings */
    struct check_finding f[CHECK_MAX_FINDINGS];
};

/* Checks url (https://HOST[:PORT]) with servername (the SNI and the name to expect; NULL
 * or "" = HOST) at now. db may be NULL (no records: ours/revoked unknown). Returns 0 when
 * every finding is "ok", 1 when something is wrong (rep holds the findings), < 0 on a
 * failure of our own (database, memory; e says). */
int check_install(struct db *db, const struct fetch_opts *o, const char *url,
                  const char *servername, time_t now, struct check_report *rep, struct sm_err *e);

/* The same for the portal and the API: the time-outs and which private or loopback
 * addresses may be checked come from [dcv] (net/fetch's rule: only when the operator
 * allows, and that only with [testing] not_for_production). A bad setting is
 * -SM_E_CONFIG. */
struct config;
int check_install_cfg(struct db *db, const struct config *cfg, const char *url,
                      const char *servername, time_t now, struct check_report *rep,
                      struct sm_err *e);

/* The report as a JSON text {url, servername, address, port, ok, ours, serial, cn, state,
 * level, root, not_before, not_after, chain_length, findings: [{code, detail}]}; free(). */
char *check_report_json(const struct check_report *rep);

#endif
