/* SPDX-License-Identifier: MIT */
/* ACME orders (RFC 8555 7.4, 7.5, 7.5.1, 7.5.2; issue 10, R-ACME-1): newOrder with dns
 * identifiers (wildcards included; names R-CSR-4 refuses are rejectedIdentifier), the
 * optional profile (draft-ietf-acme-profiles) and replaces (RFC 9773) stored with it; one
 * authorization per identifier with its http-01 and dns-01 challenges, validated at once
 * when the client answers one, by ra/dcv's checks with ACME's key authorization, the
 * evidence kept as the portal keeps it; authorization deactivation; finalize, which makes
 * the ACME order a portal order of the account's organization (product ACME_PRODUCT_DV,
 * domains validated with the authorizations' evidence) and issues it through ra/fulfil
 * inside the request, CAA checked there with the account URL (RFC 8657 accounturi).
 * Errors carry SM_E_ACME_* codes and change nothing. No HTTP, no SQL here. */
#ifndef SM_RA_ACME_ORDER_H
#define SM_RA_ACME_ORDER_H
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "ra/acme.h"
#include "store/acme_orders.h"

struct config;
struct order_env;

/* The catalog code of the product ACME orders become portal orders of. */
#define ACME_PRODUCT_DV "acme-dv"
/* Identifiers per order, and how long orders and authorizations stay usable. */
#define ACME_NAMES_MAX   100
#define ACME_ORDER_SECS  (7 * 86400)
#define ACME_RETRY_AFTER 3 /* seconds, on a processing order */

/* The profiles of the directory's meta.profiles (draft-ietf-acme-profiles), stored with
 * the order and the certificate: classic (the policy's maximum validity, capped by the
 * subscription) and shortlived (at most PROFILE_SHORT_LIVED_DAYS, no CDP, no OCSP URL). */
#define ACME_PROFILE_CLASSIC_TEXT                                                                  \
    "The policy's maximum validity, capped by the subscription; CRL and OCSP URLs."
#define ACME_PROFILE_SHORTLIVED_TEXT                                                               \
    "Short-lived: valid 7 days, no CRL distribution point and no OCSP URL (BR 7.1.2.11.2)."
/* OV and EV (issue 10 item 4; ra/acme_vetted.h): the classic validity, the subject from the
 * organization's vetted record, for an organization vetted inside the identity reuse period. */
#define ACME_PROFILE_OV_TEXT                                                                       \
    "OV: the subject from the organization's vetting (within 398 days), never from the CSR."
#define ACME_PROFILE_EV_TEXT                                                                       \
    "EV: the subject and EV fields from the organization's EV vetting (within 398 days)."

/* The account URL of account id under base (base_url without its trailing slash). */
void acme_account_url(const char *base, int64_t id, char *out, size_t n);

/* An order with its authorizations. Free with acme_order_view_free. */
struct acme_order_view {
    struct acme_order_row o;
    struct acme_authz_row *authz;
    size_t nauthz;
    char serial[64];     /* the certificate's serial when valid */
    int64_t retry_after; /* acme_order_new refused with rateLimited: seconds to wait */
};
void acme_order_view_free(struct acme_order_view *v);

/* The rate limits of [acme] (RFC 8555 6.7; 0 = no limit): orders per account in
 * orders_window seconds, certificates per registered domain in certs_window seconds. */
struct acme_limits {
    int64_t orders, orders_window;
    int64_t certs, certs_window;
};
/* Reads them (cfg NULL: no limits). */
int acme_limits_from_config(const struct config *cfg, struct acme_limits *l, struct sm_err *e);

/* newOrder (RFC 8555 7.4) of the request's account. 0 with out filled (status pending).
 * Refused with rateLimited (out->retry_after the seconds until the oldest order counted
 * leaves the window, e->detail naming the limit) when the account created orders_per_account
 * orders in the window, or when a registered domain (public suffix list) the order names
 * got certs_per_domain certificates through ACME orders in the window, counted from the
 * database (acme_order_domains) so that several server processes share the counts.
 * A name an account of the organization validated inside the dated reuse period (R-VAL-2,
 * RFC 8555 7.1.4) gets a valid authorization at once, with that validation's method, date
 * and evidence; when every name does, the order is ready. Profiles ov and ev need the
 * organization's current vetting (ra/acme_vetted.h; SM_E_ACME_UNVETTED otherwise). */
int acme_order_new(struct db *db, const struct config *cfg, const struct acme_request *q,
                   const char *client_ip, int64_t now, struct acme_order_view *out,
                   struct sm_err *e);
/* POST-as-GET of order id: only the account's own (unauthorized otherwise, malformed 404
 * when absent). A pending order whose authorizations are all valid is ready; one with an
 * invalid, deactivated or expired authorization is invalid; a processing order whose
 * portal order was issued meanwhile is valid. */
int acme_order_read(struct db *db, const struct acme_request *q, int64_t id, int64_t now,
                    struct acme_order_view *out, struct sm_err *e);

/* Authorization id of the request's account (free with acme_authz_rows_free(out, 1)). */
int acme_authz_read(struct db *db, const struct acme_request *q, int64_t id, int64_t now,
                    struct acme_authz_row *out, struct sm_err *e);
/* POST to the authorization URL: empty payload reads it, {"status":"deactivated"}
 * deactivates a pending or valid one (RFC 8555 7.5.2). */
int acme_authz_post(struct db *db, const struct acme_request *q, int64_t id, const char *client_ip,
                    int64_t now, struct acme_authz_row *out, struct sm_err *e);
/* The client says challenge `type` of authorization id is ready (RFC 8555 7.5.1): the
 * check runs now (http-01: dcv_check_acme_http; dns-01: dcv_check_acme_dns; tls-alpn-01:
 * dcv_check_acme_tlsalpn, failures of the TLS connection itself answered as `tls`) and the
 * authorization becomes valid or invalid with the evidence and, when invalid, the problem.
 * A type not offered for the name is malformed; an authorization no longer pending is
 * returned as it is. Too few remote perspectives for the date: -SM_E_MPIC, the
 * authorization stays pending (R-VAL-8). */
int acme_challenge_respond(struct db *db, const struct config *cfg, const struct acme_request *q,
                           int64_t id, const char *type, const char *client_ip, int64_t now,
                           struct acme_authz_row *out, struct sm_err *e);
/* The challenge types offered for an authorization ({"http-01","dns-01","tls-alpn-01"}
 * or, for a wildcard, {"dns-01"}); returns the count. */
size_t acme_challenge_types(const struct acme_authz_row *a, const char *types[3]);
/* The key authorization (token "." thumbprint) and, for dns-01, its digest. */
void acme_key_authorization(const char *token, const char *thumbprint, char *out, size_t n);

/* finalize (RFC 8555 7.4): the order must be ready (orderNotReady), each validation still
 * inside its reuse period (else the order becomes invalid: SM_E_ACME_STALE); the payload's csr
 * (base64url DER) must be acceptable (badCSR: R-CSR rules, a compromised key) and name
 * exactly the order's identifiers (badCSR). Then the portal order is made and issued now;
 * a CAA refusal makes the order invalid (caa); a DNS failure leaves it processing (the
 * issuance job goes on). */
int acme_order_finalize(const struct order_env *env, const struct config *cfg,
                        const struct acme_request *q, int64_t id, int64_t now,
                        struct acme_order_view *out, struct sm_err *e);

#endif
