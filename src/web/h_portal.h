/* SPDX-License-Identifier: MIT */
/* Handlers of the application wizard, the order pages and the order API of customers and
 * resellers (routes_portal.inc), and the few helpers the h_portal_*.c files share
 * (the application form read from a form or a JSON body, messages, order JSON). */
#ifndef SM_WEB_H_PORTAL_H
#define SM_WEB_H_PORTAL_H
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <jansson.h>

#include "core/buf.h"
#include "ra/appform.h"
#include "store/orders.h"
#include "store/products.h"

struct req;
struct portal;
struct sm_err;

/* h_portal_wizard.c: the application wizard (R-APP-2..7) */
void h_apply_form(struct req *r);
void h_apply(struct req *r);
void h_apply_done(struct req *r);

/* h_portal_orders.c: order pages, re-application, uploads, DCV, the e-mail DCV link */
void h_orders(struct req *r);
void h_order(struct req *r);
void h_order_dcv(struct req *r);
void h_order_upload(struct req *r);
void h_order_edit_form(struct req *r);
void h_order_edit(struct req *r);
void h_order_cancel(struct req *r);
void h_dcv_confirm_form(struct req *r);
void h_dcv_confirm(struct req *r);

/* h_portal_api.c: the order API (R-API-1) and the payment callback (R-PAY-1) */
void h_api_products(struct req *r);
void h_api_organizations(struct req *r);
void h_api_orders(struct req *r);
void h_api_order_create(struct req *r);
void h_api_order(struct req *r);
void h_api_order_dcv(struct req *r);
void h_api_order_documents(struct req *r);
void h_api_order_cancel(struct req *r);
void h_api_payments(struct req *r);

/* ---- shared by h_portal_*.c (h_portal_common.c) ---- */

/* Reads one named value of an application ("cn", "org.name_ja", "notify_email1" ...);
 * NULL when absent. The text must live as long as the struct pf_input. */
typedef const char *(*pf_get_fn)(void *arg, const char *name);

#define PF_SANS_MAX 200
/* An application read through a pf_get_fn. in borrows the getter's strings; the SAN list
 * is split from "sans" (one name per line, or separated by commas / spaces) into
 * sans_buf (owned). Free with pf_input_clear. */
struct pf_input {
    struct appform_in in;
    char *sans_buf;
    const char *sans[PF_SANS_MAX + 1];
};
/* 0, or -SM_E_NOMEM. kind NULL = "new". */
int pf_input_fill(struct pf_input *x, pf_get_fn get, void *arg, const char *kind);
void pf_input_clear(struct pf_input *x);

/* Every field name of the application form, in wizard order (NULL-terminated), and the
 * wizard step (3 applicant, 4 billing, 5 CSR, 2 term/options, 6 DCV) a field's errors
 * belong to. */
extern const char *const pf_fields[];
int pf_field_step(const char *field);

/* The text of an appform error in lang (order.* keys from the catalogs with {field}
 * replaced by the detail; csr.* / name.* from the CSR problem table). Appends to out. */
int pf_error_text(struct buf *out, const char *lang, const struct appform_error *er);
/* [{"field","code","message"}] of every error of r. */
json_t *pf_errors_json(const char *lang, const struct appform_result *r);

/* The product as pages and the API show it. */
json_t *pf_product_json(const struct product_row *p, const char *lang);
/* The state label of an order in lang. */
const char *pf_state_label(const char *lang, const char *state);
/* "YYYY-MM-DD" / "YYYY-MM-DD HH:MM JST" in Asia/Tokyo; "" for 0. */
void pf_date(int64_t t, char *out, size_t n);
void pf_datetime(int64_t t, char *out, size_t n);
/* The expected completion date of o (R-VAL-7, R-CAL-1) as "YYYY-MM-DD", "" when not
 * started. */
void pf_eta(const struct order_row *o, const struct product_row *p, char *out, size_t n);
/* The end of the maintenance window p is in now, as "YYYY-MM-DD HH:MM JST"; 0 when now
 * is not in a window (out "") . */
int pf_maint_until(const struct portal *p, char *out, size_t n);
/* A positive decimal id from a route parameter; -1 if not one. */
int pf_parse_id(const char *s, int64_t *out);
/* Answers 500/503 for an unexpected failure (logged). */
void pf_internal(struct req *r, const char *what, const struct sm_err *e);
/* The message key of an ra/ order error (order_err_key, the e-mail/DCV method variants)
 * and its {field} argument in arg: the end of the maintenance window, the upload limit or
 * the field. The status is the core/err table's (http_err_status); p may be NULL. */
const char *pf_err_key(const struct portal *p, const struct sm_err *e, char *arg, size_t n);
/* Answers an ra/ order error through http_reply_err with the pf_err_key message. */
void pf_reply_err(struct req *r, const struct portal *p, const struct sm_err *e);
/* The fields of the steps in mask (bit 3 applicant, 4 billing, 5 CSR) for product p as
 * template groups [{"id","legend","fields":[{"name","id","label","v","err","hint",
 * "is_text","is_area","is_select","is_check","checked","options"}]}] with values from get
 * and the errors of errs (may be NULL) beside each field (h_portal_form.c). */
json_t *pf_groups(const char *lang, const struct product_row *p, unsigned mask, pf_get_fn get,
                  void *arg, const struct appform_result *errs);
/* [{"label","v"}] of every non-empty field except the CSR, for confirmation pages. */
json_t *pf_summary(const char *lang, const struct product_row *p, pf_get_fn get, void *arg);
/* The DCV methods offered for name (NULL: for every name) as [{"v","l","sel"}] with cur
 * selected: dns, http (not for wildcards), and the constructed e-mail addresses while the
 * dated policy allows them (email_ok); pf_dcv_method_ok says whether m is one of them. */
json_t *pf_dcv_options(const char *lang, const char *name, const char *cur, int email_ok);
int pf_dcv_method_ok(const char *name, const char *m, int email_ok);
/* Rows [{"label","csr","app","differ"}] of the R-CSR-2 comparison (appform's compare). */
json_t *pf_compare_rows(const char *lang, const json_t *cmp);
/* Every field of the application of order o as the wizard's values (name -> string, the
 * names of pf_fields, "csr", "root"): a renewal starts from them (h_portal_orders.c).
 * 0, or -SM_E_NOMEM. */
int pf_order_vals(const struct order_row *o, json_t *vals);
/* An order as the API shows it (without domains). product may be NULL. */
json_t *pf_order_json(const struct order_row *o, const struct product_row *p, const char *lang);

/* The caller's orders, newest first (at most 200), with the catalog to name their
 * products: shared by the order list page and GET /api/v1/orders. state filters (NULL or
 * "": all states; an unknown state is -SM_E_INVALID with field "state", answer 400). Free
 * with pf_order_list_clear. */
struct pf_order_list {
    struct order_row *rows;
    size_t n;
    struct product_row *cat;
    size_t ncat;
};
int pf_order_list(struct portal *p, const char *state, struct pf_order_list *out, struct sm_err *e);
/* The product of rows[i] (NULL when not in the catalog). */
const struct product_row *pf_order_list_product(const struct pf_order_list *l, size_t i);
void pf_order_list_clear(struct pf_order_list *l);

/* Issue 8 item 8, R-REN-6, R-ISS-2: when a subscription of term_months outlasts the
 * validity cap in force at `at`, appends the note that says so: the subscription's term,
 * the cap and the date it applies from (and the next tightening, if one is scheduled), and
 * that the next certificate within the subscription is free. cert_days > 0 (a certificate
 * page) names that certificate's validity too. Appends nothing when the cap covers the
 * term. 0 or a negative buf error. (h_portal_wizard.c) */
int pf_term_note(struct buf *out, const char *lang, int term_months, time_t at, int cert_days);

/* Why an approved order waits (R-VAL-3, R-ISS-6, R-VAL-7): its last recorded issuance
 * refusal as {"code","reason","next","at"} in lang, or JSON null when it has none (any
 * state but approved). A code without its own message gets the message of its family
 * (caa.*, dns.*, issue.*), then a general one. caa_ids is the CA's CAA issuer domain
 * names for the next step (may be NULL). New reference. (h_portal_orders.c) */
json_t *pf_refusal_json(const char *lang, const struct order_row *o, const char *caa_ids);
/* 1 when approved order o has its issuance job queued, running or waiting to be retried:
 * the order pages say "issuing" (issue 8 item 5), beside the last refusal if there is one.
 * (h_portal_orders.c) */
int pf_issuing(struct db *db, const struct order_row *o);

#endif
