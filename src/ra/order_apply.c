/* SPDX-License-Identifier: MIT */
/* Placing an order: product, organization, application check, then the order, its
 * domains and their DCV methods in one transaction (see order_apply.h). */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "ra/keyblock.h"
#include "ra/order_apply.h"
#include "ra/subscription.h"
#include "ra/validate.h"
#include "store/users.h"

void order_applied_free(struct order_applied *out)
{
    if (out == NULL)
        return;
    if (out->checked)
        appform_result_free(&out->form);
    order_row_free(out->order);
    memset(out, 0, sizeof *out);
}

static int find_product(const struct order_env *env, const char *code, struct order_applied *out,
                        struct sm_err *e)
{
    int rc = code != NULL && *code != '\0' ? products_get_by_code(env->db, code, &out->product, e)
                                           : -SM_E_NOTFOUND;
    if (rc == 0 && !out->product.active)
        rc = -SM_E_NOTFOUND;
    if (rc == -SM_E_NOTFOUND)
        return sm_err_set(e, SM_E_INVALID, "product", "no active product %s", code ? code : "");
    out->have_product = rc == 0;
    return rc;
}

/* The organization must be one the actor may apply for: any existing one for staff
 * (scope all), else one of the scope's organizations. */
static int check_org(const struct order_env *env, const struct order_actor *who, int64_t id,
                     struct sm_err *e)
{
    if (id > 0 && who->scope.all) {
        struct org_row o;
        int rc = org_get(env->db, id, &o, e);
        if (rc != -SM_E_NOTFOUND)
            return rc;
    }
    if (!who->scope.all && org_scope_has(&who->scope, id))
        return 0;
    return sm_err_set(e, SM_E_INVALID, "org_id", "organization %lld is not the applicant's",
                      (long long)id);
}

struct methods {
    const struct config *cfg;
    const struct order_application *a;
    size_t *bad;
    const struct sub_source *src; /* a renewal or replacement: linked in the transaction */
};

/* In the creating transaction: the methods asked for, each with its audit record. */
static int set_methods(const struct order_env *env, const struct order_actor *who,
                       struct order_row *o, void *arg, struct sm_err *e)
{
    const struct methods *m = arg;
    for (size_t i = 0; i < m->a->ndcv; i++) {
        const struct order_apply_dcv *d = &m->a->dcv[i];
        int rc = validate_set_method_tx(env, who, m->cfg, o, d->name ? d->name : "",
                                        d->method ? d->method : "", e);
        if (rc == 0)
            continue;
        *m->bad = i;
        if (rc == -SM_E_NOTFOUND && strcmp(e->field, "name") == 0)
            return sm_err_set(e, SM_E_INVALID, "dcv_methods", "%s is not a name of the application",
                              d->name ? d->name : "");
        if (strcmp(e->field, "dcv_method") == 0)
            snprintf(e->field, sizeof e->field, "%s", "dcv_methods");
        return rc;
    }
    if (m->src != NULL)
        return subscription_link_tx(env->db, m->src, o->id, o->kind, clock_now(), e);
    return 0;
}

/* The subscription a renewal or replacement starts from (src->sub_id 0: neither). */
static int load_source(const struct order_env *env, const struct order_actor *who,
                       const struct order_application *a, struct sub_source *src, struct sm_err *e)
{
    int renewal = a->renewal_of != NULL && a->renewal_of[0] != '\0';
    const char *serial = renewal ? a->renewal_of : a->replaces;
    memset(src, 0, sizeof *src);
    if (serial == NULL || serial[0] == '\0')
        return 0;
    int rc = subscription_source(env->db, who, serial, !renewal, clock_now(), src, e);
    if (rc == 0 && src->pending_order == 0 && src->org_id != a->org_id)
        rc = sm_err_set(e, SM_E_INVALID, "org_id", "the subscription is of organization %lld",
                        (long long)src->org_id);
    return rc;
}

static int apply_checked(const struct order_env *env, const struct order_actor *who,
                         const struct config *cfg, const struct order_application *a,
                         const struct sub_source *src, struct order_applied *out, struct sm_err *e);

int order_apply(const struct order_env *env, const struct order_actor *who,
                const struct config *cfg, const struct order_application *a,
                struct order_applied *out, struct sm_err *e)
{
    memset(out, 0, sizeof *out);
    struct sub_source src;
    int rc = find_product(env, a->product, out, e);
    if (rc == 0)
        rc = check_org(env, who, a->org_id, e);
    if (rc < 0)
        return rc;
    rc = load_source(env, who, a, &src, e);
    if (rc == 0 && src.pending_order > 0) { /* a renewal under way: the same answer */
        static const struct org_scope all = {1, NULL, 0};
        rc = orders_get(env->db, src.pending_order, &all, &out->order, e);
        sub_source_clear(&src);
        return rc;
    }
    if (rc == 0)
        rc = apply_checked(env, who, cfg, a, src.sub_id > 0 ? &src : NULL, out, e);
    sub_source_clear(&src);
    return rc;
}

static int apply_checked(const struct order_env *env, const struct order_actor *who,
                         const struct config *cfg, const struct order_application *a,
                         const struct sub_source *src, struct order_applied *out, struct sm_err *e)
{
    int rc;
    /* issue 8 item 23: a key on the compromised-key list is refused in the form, naming the
     * CSR, whichever door (wizard or API) the application came through */
    struct appform_in in = *a->form;
    in.key_blocklist = ra_keyblock_lookup;
    in.key_blocklist_arg = env->db;
    rc = appform_check(&in, &out->product, clock_now(), &out->form, e);
    out->checked = 1;
    if (rc < 0)
        return rc;
    if (out->form.nerrors > 0 || a->caller_errors > 0)
        return sm_err_set(e, SM_E_INVALID, "form", "application has %zu field error(s)",
                          out->form.nerrors +
                              (size_t)(a->caller_errors > 0 ? a->caller_errors : 0));
    char rnd[33];
    const char *idem = a->idem_key;
    if (idem == NULL) {
        unsigned char b[16];
        randombytes_buf(b, sizeof b);
        sodium_bin2hex(rnd, sizeof rnd, b, sizeof b);
        idem = rnd;
    }
    const char *kind = a->form->kind && *a->form->kind ? a->form->kind : "new";
    int renewal = src != NULL && a->renewal_of != NULL && a->renewal_of[0] != '\0';
    if (src != NULL) {
        kind = renewal ? "renewal" : "new";
        if (renewal && (rc = subscription_renewal_keeps(src, &out->product, out->form.cn,
                                                        out->form.applicant_json, e)) < 0)
            return rc;
    }
    struct order_new n = {.org_id = a->org_id,
                          .product = &out->product,
                          .kind = kind,
                          .idem_key = idem,
                          .form = &out->form,
                          .pay_method = a->pay_method ? a->pay_method : "invoice",
                          .draft = a->draft,
                          .predecessor_cert_id = src != NULL ? src->cert_id : 0};
    struct methods m = {cfg, a, &out->dcv_bad, src};
    return order_create_then(env, who, &n, a->ndcv || src ? set_methods : NULL, &m, &out->order,
                             &out->created, e);
}
