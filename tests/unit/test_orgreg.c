/* SPDX-License-Identifier: MIT */
/* Issue 12 item 6: the organization's registration information. A change of a vetted
 * field marks the organization's vetting stale, so an earlier organization check is no
 * longer reused (R-VAL-5, vetting_check_last_ok) while a later one is; the administrator
 * rule (users.org_admin, else the first user); optimistic locking; ra/orginfo asks for a
 * confirmation before a vetted field changes, and audits the change. Runs on SQLite, and on
 * PostgreSQL too when SHOMEI_TEST_PG_URL is set. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "testdir.h"
#include "dbfixture.h"

#include <string.h>

#include "ra/orginfo.h"
#include "store/orgreg.h"
#include "store/orgs.h"
#include "store/users.h"
#include "store/vetting.h"

#define T0 1800000000

struct ofx {
    struct dbfx *f;
    int64_t org, u1, u2;
};

static int64_t add_user(struct db *db, int64_t org, const char *login)
{
    struct user_row u;
    memset(&u, 0, sizeof u);
    u.org_id = org;
    u.role = USER_CUSTOMER;
    snprintf(u.login_id, sizeof u.login_id, "%s", login);
    snprintf(u.email, sizeof u.email, "%s@example.jp", login);
    snprintf(u.display_name, sizeof u.display_name, "%s", login);
    snprintf(u.locale, sizeof u.locale, "ja");
    snprintf(u.password_hash, sizeof u.password_hash, "x");
    struct sm_err e = {0};
    int64_t id = 0;
    if (user_insert(db, &u, &id, &e) != 0)
        fail_msg("user: %s", e.detail);
    return id;
}

static int fx_setup(void **state)
{
    struct dbfx *f = dbfx_setup(state, "orgreg", T0);
    struct ofx *o = calloc(1, sizeof *o);
    assert_non_null(o);
    o->f = f;
    struct sm_err e = {0};
    struct org_row r;
    memset(&r, 0, sizeof r);
    snprintf(r.kind, sizeof r.kind, "customer");
    snprintf(r.name_ja, sizeof r.name_ja, "アルファ");
    snprintf(r.name_en, sizeof r.name_en, "Alpha");
    assert_int_equal(db_begin(f->db, &e), 0);
    assert_int_equal(org_insert(f->db, &r, &o->org, &e), 0);
    assert_int_equal(db_commit(f->db, &e), 0);
    o->u1 = add_user(f->db, o->org, "first");
    o->u2 = add_user(f->db, o->org, "second");
    *state = o;
    return 0;
}

static int fx_teardown(void **state)
{
    struct ofx *o = *state;
    *state = o->f;
    free(o);
    return dbfx_teardown(state);
}

static const struct db_stmt st_product = {
    "t.product",
    "INSERT INTO products (code, name_ja, name_en, level, term_months, list_price, created_at) "
    "VALUES ('ov-1y', 'OV 1年', 'OV 1 year', 'ov', 12, 1000, 0) RETURNING id",
    NULL, NULL};
static const struct db_stmt st_order = {
    "t.order",
    "INSERT INTO orders (receipt_no, kind, state, product_id, org_id, created_by, cn, names, "
    "applicant, contact, notify_email1, server_software, created_at, updated_at, idem_key) "
    "VALUES ('R1', 'new', 'vetting', $1, $2, 1, 'x', '[]', '{}', '{}', 'a@b.jp', 'nginx', 0, 0, "
    "'k1') RETURNING id",
    NULL, NULL};

static void phone_check(struct db *db, int64_t order, int64_t org, int64_t at)
{
    struct vetting_check_row c;
    memset(&c, 0, sizeof c);
    c.order_id = order;
    c.org_id = org;
    snprintf(c.kind, sizeof c.kind, "phone");
    snprintf(c.source, sizeof c.source, "test");
    snprintf(c.result, sizeof c.result, "ok");
    c.officer_id = 1;
    c.at = at;
    struct sm_err e = {0};
    assert_int_equal(db_begin(db, &e), 0);
    assert_int_equal(vetting_check_insert(db, &c, NULL, &e), 0);
    assert_int_equal(db_commit(db, &e), 0);
}

static void test_orgreg_vetting_reset_stops_reuse(void **state)
{
    struct ofx *o = *state;
    struct db *db = o->f->db;
    struct sm_err e = {0};
    int64_t prod = 0, order = 0;
    assert_int_equal(db_returning_id(db, &st_product, NULL, 0, &prod, &e), 0);
    struct db_val p[2] = {DBV_INT(prod), DBV_INT(o->org)};
    assert_int_equal(db_returning_id(db, &st_order, p, 2, &order, &e), 0);
    phone_check(db, order, o->org, T0 - 100);
    struct vetting_check_row c;
    assert_int_equal(vetting_check_last_ok(db, o->org, "phone", T0, &c, &e), 0);
    /* a vetted field changes at T0 */
    struct orgreg_row r;
    assert_int_equal(orgreg_get(db, o->org, &r, &e), 0);
    snprintf(r.address, sizeof r.address, "東京都千代田区");
    assert_int_equal(db_begin(db, &e), 0);
    assert_int_equal(orgreg_update(db, &r, 0, T0, &e), 0);
    assert_int_equal(db_commit(db, &e), 0);
    assert_int_equal(vetting_check_last_ok(db, o->org, "phone", T0 + 50, &c, &e), -SM_E_NOTFOUND);
    phone_check(db, order, o->org, T0 + 10);
    assert_int_equal(vetting_check_last_ok(db, o->org, "phone", T0 + 50, &c, &e), 0);
    assert_int_equal(c.at, T0 + 10);
}

static void test_orgreg_stale_version_refused(void **state)
{
    struct ofx *o = *state;
    struct db *db = o->f->db;
    struct sm_err e = {0};
    struct orgreg_row r;
    assert_int_equal(orgreg_get(db, o->org, &r, &e), 0);
    assert_int_equal(r.version, 0);
    assert_int_equal(db_begin(db, &e), 0);
    assert_int_equal(orgreg_update(db, &r, 5, 0, &e), -SM_E_STALE);
    db_rollback(db);
    assert_int_equal(orgreg_get(db, o->org, &r, &e), 0);
    assert_int_equal(r.version, 0);
}

static void test_orgreg_admin_first_user_then_flag(void **state)
{
    struct ofx *o = *state;
    struct db *db = o->f->db;
    struct sm_err e = {0};
    int yes = 0;
    assert_int_equal(orgreg_is_admin(db, o->org, o->u1, &yes, &e), 0);
    assert_int_equal(yes, 1);
    assert_int_equal(orgreg_is_admin(db, o->org, o->u2, &yes, &e), 0);
    assert_int_equal(yes, 0);
    assert_int_equal(orgreg_set_admin(db, o->org, o->u2, 1, &e), 0);
    assert_int_equal(orgreg_is_admin(db, o->org, o->u2, &yes, &e), 0);
    assert_int_equal(yes, 1);
    assert_int_equal(orgreg_is_admin(db, o->org, o->u1, &yes, &e), 0);
    assert_int_equal(yes, 0); /* a flagged user exists: the first user is no longer one */
    assert_int_equal(orgreg_is_admin(db, o->org + 1000, o->u2, &yes, &e), 0);
    assert_int_equal(yes, 0); /* not of another organization */
}

static int64_t audits(struct db *db)
{
    static const struct db_stmt st = {
        "t.audits", "SELECT COUNT(*) FROM audit_log WHERE action = 'org.registration_changed'",
        NULL, NULL};
    struct sm_err e = {0};
    int64_t n = -1;
    assert_int_equal(db_get_one(db, &st, NULL, 0, &db_row_int, &n, &e), 0);
    return n;
}

static void test_orginfo_confirm_before_vetted_change(void **state)
{
    struct ofx *o = *state;
    struct db *db = o->f->db;
    struct sm_err e = {0};
    struct user_row u1, u2;
    assert_int_equal(user_get(db, o->u1, &u1, &e), 0);
    assert_int_equal(user_get(db, o->u2, &u2, &e), 0);
    struct orgreg_row in, now;
    int admin = 0;
    assert_int_equal(orginfo_get(db, &u1, &in, &admin, &e), 0);
    assert_int_equal(admin, 1);
    struct orginfo_result res;
    /* the contact: no confirmation, not stale */
    snprintf(in.contact_name, sizeof in.contact_name, "山田");
    assert_int_equal(orginfo_update(db, &u1, NULL, &in, 0, 0, &res, &e), 0);
    assert_int_equal(res.changed, 1);
    assert_int_equal(res.vetting_stale, 0);
    /* a vetted field: not written without confirmation */
    snprintf(in.name_ja, sizeof in.name_ja, "アルファ株式会社");
    assert_int_equal(orginfo_update(db, &u1, NULL, &in, 1, 0, &res, &e), 0);
    assert_int_equal(res.needs_confirm, 1);
    assert_int_equal(res.changed, 0);
    assert_int_equal(res.nvetted, 1);
    assert_string_equal(res.vetted[0], "name_ja");
    assert_int_equal(orgreg_get(db, o->org, &now, &e), 0);
    assert_string_equal(now.name_ja, "アルファ");
    assert_int_equal(now.vetting_reset_at, 0);
    /* not the administrator */
    assert_int_equal(orginfo_update(db, &u2, NULL, &in, 1, 1, &res, &e), -SM_E_FORBIDDEN);
    /* bad input names the field */
    struct orgreg_row bad = in;
    snprintf(bad.postal, sizeof bad.postal, "12-34");
    assert_int_equal(orginfo_update(db, &u1, NULL, &bad, 1, 1, &res, &e), -SM_E_INVALID);
    assert_string_equal(e.field, "postal");
    sm_err_clear(&e);
    /* confirmed */
    assert_int_equal(orginfo_update(db, &u1, NULL, &in, 1, 1, &res, &e), 0);
    assert_int_equal(res.changed, 1);
    assert_int_equal(res.vetting_stale, 1);
    assert_int_equal(orgreg_get(db, o->org, &now, &e), 0);
    assert_string_equal(now.name_ja, "アルファ株式会社");
    assert_int_equal(now.vetting_reset_at, T0);
    assert_int_equal(now.version, 2);
    assert_int_equal(audits(db), 2);
}

#define T(fn)                                                                                      \
    {                                                                                              \
#fn, fn, fx_setup, fx_teardown, NULL                                                       \
    }

static const struct CMUnitTest table[] = {
    T(test_orgreg_vetting_reset_stops_reuse),
    T(test_orgreg_stale_version_refused),
    T(test_orgreg_admin_first_user_then_flag),
    T(test_orginfo_confirm_before_vetted_change),
};

#define NT (sizeof table / sizeof table[0])

int main(void) { return dbfx_run_both("orgreg", table, NT, NULL, 0); }
