/* SPDX-License-Identifier: MIT */
/* OV and EV certificates over ACME (see ra/acme_vetted.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/policy.h"
#include "ra/acme_vetted.h"
#include "ra/order.h"
#include "ra/product.h"
#include "ra/review.h"
#include "store/vetting.h"

int acme_profile_vetted(const char *profile)
{
    return profile != NULL && (strcmp(profile, "ov") == 0 || strcmp(profile, "ev") == 0);
}

const char *acme_product_code(const char *profile)
{
    if (profile != NULL && strcmp(profile, "ov") == 0)
        return "acme-ov";
    if (profile != NULL && strcmp(profile, "ev") == 0)
        return "acme-ev";
    return "acme-dv";
}

/* field: why, as the problem document names it (vetting.none, vetting.pending,
 * vetting.level, vetting.stale); the detail for the log. */
static int refuse(struct sm_err *e, int64_t org_id, const char *profile, const char *field,
                  const char *why)
{
    return sm_err_set(e, SM_E_ACME_UNVETTED, field,
                      "organization %lld may not have %s certificates: %s", (long long)org_id,
                      strcmp(profile, "ev") == 0 ? "EV" : "OV", why);
}

int acme_vetted_record(struct db *db, int64_t org_id, const char *profile, int64_t now,
                       struct order_row **src, struct sm_err *e)
{
    static const struct org_scope all = {1, NULL, 0};
    *src = NULL;
    struct vetting_check_row *c = NULL;
    size_t n = 0;
    int rc = vetting_checks_ok_list(db, org_id, "registry", now, &c, &n, e);
    if (rc < 0)
        return rc;
    /* the newest registry check on an approved order of a level that fits */
    struct order_row *o = NULL;
    struct product_row p;
    char why[200] = "its identity was never vetted (no registry check)";
    const char *field = "vetting.none";
    for (size_t i = 0; rc == 0 && i < n && o == NULL; i++) {
        rc = orders_get(db, c[i].order_id, &all, &o, e);
        if (rc == 0)
            rc = products_get(db, o->product_id, &p, e);
        if (rc < 0)
            break;
        if (strcmp(o->state, "approved") != 0 && strcmp(o->state, "issued") != 0) {
            if (strcmp(field, "vetting.none") == 0) {
                field = "vetting.pending";
                snprintf(why, sizeof why, "its vetting (order %s) is %s, not approved",
                         o->receipt_no, o->state);
            }
        } else if (strcmp(p.level, "ev") != 0 &&
                   (strcmp(p.level, "ov") != 0 || strcmp(profile, "ev") == 0)) {
            field = "vetting.level";
            snprintf(why, sizeof why, "its vetting (order %s) is of level %s", o->receipt_no,
                     p.level);
        } else {
            break; /* the record */
        }
        order_row_free(o);
        o = NULL;
    }
    free(c);
    if (rc == 0 && o != NULL) { /* R-VAL-4: the rule of approval and signing, at now */
        struct order_env env = {.db = db};
        const char *missing[5];
        size_t nm = 0, k = 0;
        rc = review_checks_missing(&env, o, &p, (time_t)now, missing, &nm, e);
        why[0] = '\0';
        field = "vetting.stale";
        for (size_t i = 0; rc == 0 && i < nm && k < sizeof why; i++)
            k += (size_t)snprintf(why + k, sizeof why - k, "%s%s", i ? ", " : "", missing[i]);
        if (rc == 0 && nm > 0 && k < sizeof why)
            snprintf(why + k, sizeof why - k,
                     " (order %s) missing or older than the identity reuse period (%d days)",
                     o->receipt_no, policy_identity_reuse_days((time_t)now));
    }
    if (rc == 0 && why[0] != '\0')
        rc = refuse(e, org_id, profile, field, why);
    if (rc < 0)
        order_row_free(o);
    else
        *src = o;
    return rc;
}

int acme_vetted_copy_checks_tx(struct db *db, int64_t src_id, int64_t dst_id, struct sm_err *e)
{
    struct vetting_check_row *v = NULL;
    size_t n = 0;
    int rc = vetting_checks_list(db, src_id, &v, &n, e), phone = 0;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        struct vetting_check_row c = v[i];
        c.order_id = dst_id;
        phone |= strcmp(c.kind, "phone") == 0;
        rc = vetting_check_insert(db, &c, NULL, e);
    }
    /* a record whose phone check was reused (R-VAL-5, a renewal): the check it reused */
    if (rc == 0 && !phone && n > 0) {
        struct vetting_check_row c;
        int r = vetting_check_last_ok(db, v[0].org_id, "phone", (int64_t)clock_now(), &c, e);
        if (r == 0) {
            c.order_id = dst_id;
            rc = vetting_check_insert(db, &c, NULL, e);
        } else if (r == -SM_E_NOTFOUND) {
            sm_err_clear(e);
        } else {
            rc = r;
        }
    }
    free(v);
    return rc;
}

int acme_product_get(struct db *db, const char *profile, struct product_row *p, struct sm_err *e)
{
    const char *code = acme_product_code(profile);
    int rc = products_get_by_code(db, code, p, e);
    if (rc != -SM_E_NOTFOUND)
        return rc;
    sm_err_clear(e);
    struct product_row n;
    memset(&n, 0, sizeof n);
    snprintf(n.code, sizeof n.code, "%s", code);
    snprintf(n.level, sizeof n.level, "%.2s", code + 5);
    if (strcmp(n.level, "dv") == 0) {
        snprintf(n.name_ja, sizeof n.name_ja, "ACME DV 証明書");
        snprintf(n.name_en, sizeof n.name_en, "ACME DV certificate");
    } else if (strcmp(n.level, "ov") == 0) {
        snprintf(n.name_ja, sizeof n.name_ja, "ACME OV 証明書");
        snprintf(n.name_en, sizeof n.name_en, "ACME OV certificate");
    } else {
        snprintf(n.name_ja, sizeof n.name_ja, "ACME EV 証明書");
        snprintf(n.name_en, sizeof n.name_en, "ACME EV certificate");
    }
    n.term_months = 12;
    n.multi_domain = 1;
    n.sans_included = 100;
    n.sans_max = 100;
    n.wildcard = strcmp(n.level, "ev") != 0; /* EV Guidelines 9.8.1: no wildcard */
    n.list_price = strcmp(n.level, "dv") == 0 ? 5000 : strcmp(n.level, "ov") == 0 ? 30000 : 80000;
    snprintf(n.reissue_fee, sizeof n.reissue_fee, "free");
    snprintf(n.root_options, sizeof n.root_options, "a,b");
    snprintf(n.reissue_vetting, sizeof n.reissue_vetting, "none");
    n.created_at = (int64_t)clock_now();
    int64_t id = 0;
    rc = product_create(db, &n, "acme", &id, e);
    if (rc < 0 && rc != -SM_E_CONFLICT) /* CONFLICT: made by a request at the same time */
        return rc;
    sm_err_clear(e);
    return products_get_by_code(db, code, p, e);
}
