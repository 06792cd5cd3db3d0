/* SPDX-License-Identifier: MIT */
/* The product catalog's actions (see product.h): the rules of a product's fields, create and
 * update in one transaction with their audit record, and the demo catalog. */
#include "ra/product.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "store/audit.h"
#include "store/db.h"

static int bad(struct sm_err *e, const char *field, const char *why)
{
    return sm_err_set(e, SM_E_INVALID, field, "product %s: %s", field, why);
}

static int fee_rule_ok(const char *s)
{
    if (strcmp(s, "free") == 0)
        return 1;
    if (strncmp(s, "after:", 6) != 0)
        return 0;
    const char *p = s + 6;
    int parts = 0;
    while (parts < 2) {
        size_t n = strspn(p, "0123456789");
        if (n == 0 || n > 9)
            return 0;
        p += n;
        parts++;
        if (parts == 1) {
            if (*p != ':')
                return 0;
            p++;
        }
    }
    return *p == '\0';
}

static int roots_ok(const char *s)
{
    /* "a", "b", "a,b" or "b,a" */
    return strcmp(s, "a") == 0 || strcmp(s, "b") == 0 || strcmp(s, "a,b") == 0 ||
           strcmp(s, "b,a") == 0;
}

/* Text of a fixed-size field that is terminated inside its array (a struct filled by hand
 * may not be): f, or "" when it is not. */
#define FIELD(f) (memchr((f), '\0', sizeof(f)) != NULL ? (f) : "")

int product_validate(const struct product_row *p, struct sm_err *e)
{
    const char *code = FIELD(p->code), *level = FIELD(p->level);
    const char *fee = FIELD(p->reissue_fee), *roots = FIELD(p->root_options);
    size_t n = strlen(code);
    if (n == 0 || strspn(code, "abcdefghijklmnopqrstuvwxyz0123456789-") != n)
        return bad(e, "code", "1-31 of [a-z0-9-]");
    if (p->name_ja[0] == '\0' || strnlen(p->name_ja, sizeof p->name_ja) >= sizeof p->name_ja)
        return bad(e, "name_ja", "required, < 128 bytes");
    if (p->name_en[0] == '\0' || strnlen(p->name_en, sizeof p->name_en) >= sizeof p->name_en)
        return bad(e, "name_en", "required, < 128 bytes");
    if (strcmp(level, "dv") != 0 && strcmp(level, "ov") != 0 && strcmp(level, "ev") != 0)
        return bad(e, "level", "dv, ov or ev");
    if (p->term_months < 1 || p->term_months > 120)
        return bad(e, "term_months", "1..120");
    if (p->sans_max < 1 || p->sans_max > 1000 || p->sans_included < 1 ||
        p->sans_included > p->sans_max)
        return bad(e, "sans_max", "1 <= sans_included <= sans_max <= 1000");
    if (!p->multi_domain && p->sans_max != 1)
        return bad(e, "sans_max", "1 unless multi_domain");
    if (p->list_price < 0 || p->extra_san_price < 0)
        return bad(e, "list_price", "not negative");
    if (!fee_rule_ok(fee))
        return bad(e, "reissue_fee", "free or after:DAYS:YEN");
    const char *rv = FIELD(p->reissue_vetting); /* R-RI-5; "" is "none" */
    if (rv[0] != '\0' && strcmp(rv, "none") != 0 && strcmp(rv, "full") != 0)
        return bad(e, "reissue_vetting", "none or full");
    if (p->review_days_min < 0 || p->review_days_max < p->review_days_min ||
        p->review_days_max > 60)
        return bad(e, "review_days_max", "0 <= min <= max <= 60");
    if (!roots_ok(roots))
        return bad(e, "root_options", "a, b or a,b");
    return 0;
}

int product_has_root(const struct product_row *p, const char *root)
{
    if (root == NULL || strlen(root) != 1 || (root[0] != 'a' && root[0] != 'b'))
        return 0;
    return strchr(p->root_options, root[0]) != NULL;
}

/* The audit record of a created or changed product: its id, code and the fields people
 * look for in the log. */
static int audit_product(struct db *db, const struct product_row *p, int64_t id, const char *actor,
                         const char *action, struct sm_err *e)
{
    json_t *d = json_pack("{s:I, s:s, s:s, s:I, s:I, s:i}", "id", (json_int_t)id, "code", p->code,
                          "level", p->level, "list_price", (json_int_t)p->list_price, "sans_max",
                          (json_int_t)p->sans_max, "active", p->active ? 1 : 0);
    char *detail = d ? json_dumps(d, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(d);
    if (detail == NULL)
        return sm_err_set(e, SM_E_NOMEM, NULL, "out of memory");
    char object[64];
    snprintf(object, sizeof object, "product:%lld", (long long)id);
    int rc = audit_append(db, actor, action, object, detail, e);
    free(detail);
    return rc;
}

/* A unique code taken by another product: the error names the field. */
static int code_taken(int rc, const struct product_row *p, struct sm_err *e)
{
    if (rc != -SM_E_CONFLICT)
        return rc;
    sm_err_clear(e);
    return sm_err_set(e, SM_E_CONFLICT, "code", "product code %s is taken", p->code);
}

/* Checks and inserts p with its audit record inside the caller's transaction. */
static int create_tx(struct db *db, const struct product_row *p, const char *actor, int64_t *id,
                     struct sm_err *e)
{
    struct product_row row = *p;
    row.id = 0;
    row.created_at = clock_now();
    int rc = products_insert(db, &row, id, e);
    rc = code_taken(rc, p, e);
    if (rc == 0)
        rc = audit_product(db, &row, *id, actor, "product.create", e);
    return rc;
}

/* Commits after body's rc == 0, else rolls back; returns the first error. */
static int finish(struct db *db, int rc, struct sm_err *e)
{
    if (rc == 0)
        rc = db_commit(db, e);
    if (rc < 0)
        db_rollback(db);
    return rc;
}

int product_create(struct db *db, const struct product_row *p, const char *actor, int64_t *id,
                   struct sm_err *e)
{
    int64_t nid = 0;
    int rc = product_validate(p, e);
    if (rc < 0)
        return rc;
    rc = db_begin(db, e);
    if (rc < 0)
        return rc;
    rc = finish(db, create_tx(db, p, actor, &nid, e), e);
    if (rc == 0 && id != NULL)
        *id = nid;
    return rc;
}

int product_update(struct db *db, const struct product_row *p, const char *actor, struct sm_err *e)
{
    int rc = product_validate(p, e);
    if (rc < 0)
        return rc;
    rc = db_begin(db, e);
    if (rc < 0)
        return rc;
    rc = products_update(db, p, e);
    rc = code_taken(rc, p, e);
    if (rc == 0)
        rc = audit_product(db, p, p->id, actor, "product.update", e);
    return finish(db, rc, e);
}

/* code, ja, en, level, months, multi, included, max, wildcard, ip, price, extra, fee, min,
 * max, roots, active, created, reissue vetting */
static const struct product_row demo[] = {
    {0,
     "dv-1y",
     "DV 証明書 1年",
     "DV certificate, 1 year",
     "dv",
     12,
     0,
     1,
     1,
     0,
     0,
     15000,
     0,
     "free",
     0,
     0,
     "a,b",
     1,
     0,
     "none"},
    {0,
     "ov-1y",
     "OV 証明書 1年",
     "OV certificate, 1 year",
     "ov",
     12,
     0,
     1,
     1,
     0,
     0,
     60000,
     0,
     "after:30:10000",
     1,
     5,
     "a,b",
     1,
     0,
     "none"},
    {0,
     "ov-multi-1y",
     "OV マルチドメイン証明書 1年",
     "OV multi-domain certificate, 1 year",
     "ov",
     12,
     1,
     5,
     100,
     0,
     0,
     120000,
     12000,
     "after:30:10000",
     1,
     5,
     "a,b",
     1,
     0,
     "none"},
    {0,
     "ev-1y",
     "EV 証明書 1年",
     "EV certificate, 1 year",
     "ev",
     12,
     0,
     1,
     1,
     0,
     0,
     150000,
     0,
     "after:30:10000",
     5,
     10,
     "a,b",
     1,
     0,
     "none"},
    {0,
     "ov-wildcard-1y",
     "OV ワイルドカード証明書 1年",
     "OV wildcard certificate, 1 year",
     "ov",
     12,
     0,
     1,
     1,
     1,
     0,
     200000,
     0,
     "after:30:10000",
     1,
     5,
     "a,b",
     1,
     0,
     "none"},
};

int product_seed_demo(struct db *db, const char *actor, int *created, struct sm_err *e)
{
    int made = 0;
    int rc = db_begin(db, e);
    if (rc < 0)
        return rc;
    for (size_t i = 0; i < sizeof demo / sizeof demo[0] && rc == 0; i++) {
        struct product_row cur;
        int64_t id = 0;
        rc = products_get_by_code(db, demo[i].code, &cur, e);
        if (rc == 0)
            continue;
        if (rc != -SM_E_NOTFOUND)
            break;
        sm_err_clear(e);
        rc = product_validate(&demo[i], e);
        if (rc == 0)
            rc = create_tx(db, &demo[i], actor, &id, e);
        if (rc == 0)
            made++;
    }
    rc = finish(db, rc, e);
    if (created != NULL)
        *created = rc == 0 ? made : 0;
    return rc;
}
