/* SPDX-License-Identifier: MIT */
/* Certificate downloads (R-DL-1): the one call web pages, the API and the CLI make to get a
 * certificate in a download format. Finds the certificate by serial, refuses callers who may
 * not see its organization exactly as if it did not exist, picks the chain of its level and
 * root option (both roots for the cross-certificate) and names the file. Re-download by
 * mail is one action here too (download_mail). No HTTP, no SQL. */
#ifndef SM_RA_DOWNLOAD_H
#define SM_RA_DOWNLOAD_H
#include <stdint.h>

#include "core/err.h"
#include "pki/bundle.h"
#include "store/certs.h"
#include "store/orders.h"

struct db;

/* Lower-case hex without leading zeros (the form store/certs keeps) from a serial as people
 * write it: hex digits in either case, optionally with ':' between octets, leading zeros.
 * 0, or -SM_E_INVALID with field "serial". */
int download_serial_norm(const char *in, char out[CERTS_SERIAL_HEX_MAX], struct sm_err *e);

/* "<cn>-<serial>.<suffix>" made safe for a Content-Disposition filename: letters, digits,
 * '.', '-' and '_' only ("*" becomes "wildcard", anything else '_'), no leading dot, the CN
 * cut at 64 bytes; "certificate" when the CN is empty. */
void download_filename(const char *cn, const char *serial, enum bundle_format f, char *out,
                       size_t n);

/* The certificate with serial in format f, into *out (free with bundle_clear), with
 * out->filename set by download_filename. scope says which organizations the caller sees
 * (all for officers and admins; store/orders.h); a certificate of another organization, of
 * no organization (operator issuance) unless scope->all, reserved or abandoned is
 * -SM_E_NOTFOUND with the same error as an unknown serial. Only issued certificates are
 * handed out: a revoked one is -SM_E_CONFLICT (field "state"). -SM_E_INVALID for a
 * malformed serial or format; store and chain errors as they come. */
int download_get(struct db *db, const struct org_scope *scope, const char *serial,
                 enum bundle_format f, struct bundle *out, struct sm_err *e);

/* The same by certificates.id (ACME's certificate URL), chained to root ("a", "b"; NULL =
 * the certificate's root option, RFC 8555 7.4.2 alternates). */
int download_get_id(struct db *db, const struct org_scope *scope, int64_t cert_id,
                    enum bundle_format f, const char *root, struct bundle *out, struct sm_err *e);
/* A re-download by mail: who asks, for what, and where the file goes. */
struct download_mail_req {
    const struct org_scope *scope; /* the organizations the caller sees */
    const char *serial;            /* as the caller wrote it (download_serial_norm) */
    enum bundle_format format;
    const char *to;           /* the caller's own address */
    const char *lang;         /* "ja" or "en": the mail's language */
    const char *format_label; /* the format's name in lang, shown in the mail */
    const char *actor;        /* audit actor, "user:42" */
};

/* Re-download by mail (R-DL-1): in one transaction, the checks of download_get (the same
 * errors: another organization's certificate is -SM_E_NOTFOUND like an unknown serial, a
 * revoked one -SM_E_CONFLICT), then the mail "cert_redownload" to m->to with the file
 * attached (store/outbox) and the audit record "certificate.redownload_mail" (object
 * "certificate:<serial>", detail {format, to}). On any error nothing is queued or recorded.
 * -SM_E_INVALID for a malformed serial or format and the outbox's refusals (field "to",
 * "lang"). *outbox_id (may be NULL) gets the mail's id, and is left alone on an error. */
int download_mail(struct db *db, const struct download_mail_req *m, int64_t *outbox_id,
                  struct sm_err *e);

#endif
