/* SPDX-License-Identifier: MIT */
/* R-MNG-1, R-MNG-2, R-ACT-1: the certificate list and detail reads of store/certlist. The
 * organization scope is applied in SQL (another organization's certificate is not found),
 * only issued and revoked certificates are listed, sorted by expiry and paged; search by
 * CN, serial (any case, with colons, leading zeros) and receipt number, LIKE wildcards in
 * the search text taken literally; bad pages, long searches and oversized scopes refused. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/certlist.h"
#include "store/db.h"

struct fx {
    char dir[64];
    struct db *db;
};

static const struct db_stmt st_ca = {
    "t.ca",
    "INSERT INTO cas (name, role, level, root, key_ref, key_type, cert_der, subject, ski, "
    "not_before, not_after, created_at) VALUES ('dv-a', 'intermediate', 'dv', 'a', 'file:x', "
    "'ec-p256', $1, 'CN=t', '00', 0, 4000000000, 0)",
    NULL, NULL};
static const struct db_stmt st_product = {
    "t.product",
    "INSERT INTO products (code, name_ja, name_en, level, term_months, list_price, created_at) "
    "VALUES ('ov-1y', 'OV 1年', 'OV 1 year', 'ov', 12, 1000, 0)",
    NULL, NULL};
static const struct db_stmt st_order = {
    "t.order",
    "INSERT INTO orders (id, receipt_no, kind, state, product_id, org_id, created_by, cn, names, "
    "applicant, contact, notify_email1, server_software, created_at, updated_at, idem_key) "
    "VALUES ($1, $2, 'new', 'issued', 1, $3, 1, 'x', '[]', $4, '{}', 'a@b.jp', 'nginx', 0, 0, $2)",
    NULL, NULL};
static const struct db_stmt st_cert = {
    "t.cert",
    "INSERT INTO certificates (serial, ca_id, state, order_id, org_id, level, root, cn, names, "
    "der, not_before, not_after, reserved_at, sha256) VALUES ($1, 1, $2, $3, $4, 'dv', 'a', $5, "
    "'[\"x\"]', $6, 100, $7, 0, 'ab')",
    NULL, NULL};

static void cert(struct db *db, const char *serial, const char *state, int64_t order, int64_t org,
                 const char *cn, int64_t not_after)
{
    struct sm_err e = {0};
    static const unsigned char der[] = {0x30, 0x00};
    struct db_val p[7] = {DBV_TEXT(serial),
                          DBV_TEXT(state),
                          order ? DBV_INT(order) : DBV_NULL,
                          org ? DBV_INT(org) : DBV_NULL,
                          DBV_TEXT(cn),
                          DBV_BLOB(der, 2),
                          DBV_INT(not_after)};
    assert_int_equal(db_run(db, &st_cert, p, 7, NULL, NULL, &e), 0);
}

static int fx_setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    assert_non_null(f);
    char six[7];
    memset(six, 'X', 6);
    six[6] = '\0';
    snprintf(f->dir, sizeof f->dir, "/tmp/shomei-certlist.%s", six);
    assert_non_null(mkdtemp(f->dir));
    struct sm_err e = {0};
    assert_int_equal(db_open("sqlite:certlist.db", f->dir, &f->db, &e), 0);
    assert_int_equal(db_migrate(f->db, &e), 0);
    static const unsigned char der[] = {0x30, 0x00};
    struct db_val pd[1] = {DBV_BLOB(der, 2)};
    assert_int_equal(db_run(f->db, &st_ca, pd, 1, NULL, NULL, &e), 0);
    assert_int_equal(db_run(f->db, &st_product, NULL, 0, NULL, NULL, &e), 0);
    const char *appl = "{\"org\":{\"name_ja\":\"甲株式会社\",\"name_en\":\"Ko KK\","
                       "\"tdb_code\":\"123456789\"},\"responsible\":{\"dept\":\"情報部\"}}";
    struct db_val po[4] = {DBV_INT(1), DBV_TEXT("R20261129-00001"), DBV_INT(10), DBV_TEXT(appl)};
    assert_int_equal(db_run(f->db, &st_order, po, 4, NULL, NULL, &e), 0);
    /* org 10: three listed (one revoked), one reserved; org 20: one; none: one */
    cert(f->db, "a1", "issued", 1, 10, "www.alpha.co.jp", 3000);
    cert(f->db, "a2", "issued", 0, 10, "shop.alpha.co.jp", 1000);
    cert(f->db, "a3", "revoked", 0, 10, "old_alpha.co.jp", 2000);
    cert(f->db, "a4", "reserved", 0, 10, "res.alpha.co.jp", 500);
    cert(f->db, "b1", "issued", 0, 20, "www.beta.co.jp", 1500);
    cert(f->db, "c1", "issued", 0, 0, "ops.example.com", 1200);
    *state = f;
    return 0;
}

static int fx_teardown(void **state)
{
    struct fx *f = *state;
    db_close(f->db);
    const char *names[] = {"certlist.db", "certlist.db-wal", "certlist.db-shm"};
    for (size_t i = 0; i < 3; i++) {
        char p[128];
        snprintf(p, sizeof p, "%s/%s", f->dir, names[i]);
        unlink(p);
    }
    rmdir(f->dir);
    free(f);
    return 0;
}

static const int64_t org10[] = {10}, org20[] = {20};

/* serials of a list, space-separated */
static void list(struct db *db, struct org_scope sc, const char *q, int limit, int offset,
                 char *out, size_t n, int64_t *total)
{
    struct certlist_filter f = {sc, q, limit, offset};
    struct certlist_row *rows = NULL;
    size_t nr = 0;
    struct sm_err e = {0};
    assert_int_equal(certlist_list(db, &f, &rows, &nr, total, &e), 0);
    out[0] = '\0';
    for (size_t i = 0; i < nr; i++) {
        size_t len = strlen(out);
        snprintf(out + len, n - len, "%s%s", i ? " " : "", rows[i].serial);
    }
    certlist_rows_free(rows, nr);
}

static void test_certlist_list_scope_in_sql(void **state)
{
    struct fx *f = *state;
    char s[256];
    int64_t total = -1;
    list(f->db, (struct org_scope){0, org10, 1}, NULL, 0, 0, s, sizeof s, &total);
    assert_string_equal(s, "a2 a3 a1"); /* by expiry; reserved left out */
    assert_int_equal(total, 3);
    list(f->db, (struct org_scope){0, org20, 1}, "", 0, 0, s, sizeof s, &total);
    assert_string_equal(s, "b1");
    list(f->db, (struct org_scope){0, NULL, 0}, NULL, 0, 0, s, sizeof s, &total);
    assert_string_equal(s, "");
    assert_int_equal(total, 0);
    list(f->db, ORG_SCOPE_ALL, NULL, 0, 0, s, sizeof s, &total);
    assert_string_equal(s, "a2 c1 b1 a3 a1");
}

static void test_certlist_list_paged(void **state)
{
    struct fx *f = *state;
    char s[256];
    int64_t total = 0;
    list(f->db, ORG_SCOPE_ALL, NULL, 2, 2, s, sizeof s, &total);
    assert_string_equal(s, "b1 a3");
    assert_int_equal(total, 5);
    list(f->db, ORG_SCOPE_ALL, NULL, 2, 10, s, sizeof s, NULL);
    assert_string_equal(s, "");
}

static void test_certlist_list_search(void **state)
{
    struct fx *f = *state;
    struct org_scope a = {0, org10, 1};
    char s[256];
    int64_t total = 0;
    static const struct {
        const char *q, *want;
    } cases[] = {
        {"ALPHA", "a2 a3 a1"},     /* CN, case-insensitive */
        {"shop", "a2"},            /* CN substring */
        {"00:A1", "a1"},           /* serial with colons and leading zeros */
        {"R20261129-00001", "a1"}, /* receipt number */
        {"R20261129", ""},         /* receipt numbers match whole */
        {"%", ""},                 /* wildcards are literal */
        {"_", "a3"},               /* ... '_' only where the CN has one */
        {"www.beta.co.jp", ""},    /* another organization's CN */
        {"b1", ""},                /* another organization's serial */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        list(f->db, a, cases[i].q, 0, 0, s, sizeof s, &total);
        if (strcmp(s, cases[i].want) != 0)
            fail_msg("q=%s: got '%s', want '%s'", cases[i].q, s, cases[i].want);
    }
}

static void test_certlist_list_bad_input(void **state)
{
    struct fx *f = *state;
    char q[CERTLIST_Q_MAX + 2];
    memset(q, 'a', sizeof q - 1);
    q[sizeof q - 1] = '\0';
    static int64_t many[ORG_SCOPE_MAX + 1];
    struct {
        struct certlist_filter f;
        int code;
        const char *field;
    } cases[] = {
        {{ORG_SCOPE_ALL, q, 0, 0}, SM_E_INVALID, "q"},
        {{ORG_SCOPE_ALL, NULL, 1001, 0}, SM_E_INVALID, "limit"},
        {{ORG_SCOPE_ALL, NULL, -1, 0}, SM_E_INVALID, "limit"},
        {{ORG_SCOPE_ALL, NULL, 10, -1}, SM_E_INVALID, "limit"},
        {{{0, many, ORG_SCOPE_MAX + 1}, NULL, 0, 0}, SM_E_TOO_LARGE, "scope"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct certlist_row *rows = (struct certlist_row *)1;
        size_t n = 9;
        struct sm_err e = {0};
        assert_int_equal(certlist_list(f->db, &cases[i].f, &rows, &n, NULL, &e), -cases[i].code);
        assert_string_equal(e.field, cases[i].field);
        assert_null(rows);
        assert_int_equal(n, 0);
    }
}

static void test_certlist_get_outside_scope_notfound(void **state)
{
    struct fx *f = *state;
    struct org_scope a = {0, org10, 1};
    static const char *hidden[] = {"b1", "c1", "a4", "ffff", "", "A1"};
    for (size_t i = 0; i < sizeof hidden / sizeof hidden[0]; i++) {
        struct certlist_detail_row *d = (struct certlist_detail_row *)1;
        struct sm_err e = {0};
        assert_int_equal(certlist_get(f->db, &a, hidden[i], &d, &e), -SM_E_NOTFOUND);
        assert_null(d);
    }
    struct certlist_detail_row *d = NULL;
    struct sm_err e = {0};
    assert_int_equal(certlist_get(f->db, &ORG_SCOPE_ALL, "c1", &d, &e), 0);
    certlist_detail_row_free(d);
}

static void test_certlist_get_detail_fields(void **state)
{
    struct fx *f = *state;
    struct org_scope a = {0, org10, 1};
    struct certlist_detail_row *d = NULL;
    struct sm_err e = {0};
    assert_int_equal(certlist_get(f->db, &a, "a1", &d, &e), 0);
    assert_string_equal(d->row.receipt_no, "R20261129-00001");
    assert_string_equal(d->row.kind, "new");
    assert_string_equal(d->row.product_code, "ov-1y");
    assert_string_equal(d->row.org_name_ja, "甲株式会社");
    assert_string_equal(d->row.org_name_en, "Ko KK");
    assert_string_equal(d->row.dept, "情報部");
    assert_string_equal(d->tdb_code, "123456789");
    assert_string_equal(d->server_software, "nginx");
    assert_string_equal(d->names_json, "[\"x\"]");
    assert_int_equal(d->der_len, 2);
    certlist_detail_row_free(d);
    certlist_detail_row_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_certlist_list_scope_in_sql, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_certlist_list_paged, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_certlist_list_search, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_certlist_list_bad_input, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_certlist_get_outside_scope_notfound, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(test_certlist_get_detail_fields, fx_setup, fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
