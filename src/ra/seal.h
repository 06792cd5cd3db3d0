/* SPDX-License-Identifier: MIT */
/* The site seal (R-MNG-4): a public, stable seal id per subscription chain (it follows
 * reissues, continued certificates and renewals), made the first time the customer asks
 * for the snippet, and the status the public seal image and verification page show: the
 * verified organization, the domain, the validity and whether the certificate behind the
 * seal is valid now. */
#ifndef SM_RA_SEAL_H
#define SM_RA_SEAL_H
#include <stdint.h>
#include <time.h>

#include "core/err.h"
#include "store/seals.h"

struct db;
struct org_scope;

/* The seal id of the certificate with serial, made (audited "seal.create") when it has
 * none yet. A certificate the scope does not see, or that was never issued, is
 * -SM_E_NOTFOUND like an unknown serial. actor: "user:42"; client_ip may be NULL. */
int seal_for_cert(struct db *db, const struct org_scope *scope, const char *serial,
                  const char *actor, const char *client_ip, char seal_id[SEAL_ID_LEN + 1],
                  struct sm_err *e);

enum seal_state { SEAL_VALID, SEAL_REVOKED, SEAL_EXPIRED };

struct seal_status {
    enum seal_state state;
    char cn[256];
    char org[256]; /* the organization (O) of an OV or EV certificate; "" for DV */
    char level[4]; /* dv | ov | ev */
    char serial[48];
    int64_t not_before, not_after;
};

/* Whether seal_id stands for a valid certificate at now. A malformed or unknown seal id
 * (or one with no certificate behind it) is -SM_E_NOTFOUND. */
int seal_status(struct db *db, const char *seal_id, time_t now, struct seal_status *out,
                struct sm_err *e);

/* 1 when s is SEAL_ID_LEN lower-case hex digits. */
int seal_id_ok(const char *s);

#endif
