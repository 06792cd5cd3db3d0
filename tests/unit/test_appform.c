/* SPDX-License-Identifier: MIT */
/* R-APP-3, R-APP-4, R-APP-5, R-APP-6, R-CSR-2: application field rules, table-driven: one
 * field of a complete valid OV application changed per row, with the {field, key} error
 * expected (or none). Corporate-number check digits with real published numbers
 * (国税庁 7000012050002, トヨタ自動車 1180301018771, ソニーグループ 5010401067252). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/failalloc.h"
#include "pki/csr.h"
#include "ra/appform.h"
#include "ra/field.h"

#define DATA "tests/unit/data/csr/"

static char *slurp(const char *name, size_t *len)
{
    char path[256];
    snprintf(path, sizeof path, DATA "%s", name);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    static char buf[65536];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    char *s = malloc(n + 1);
    assert_non_null(s);
    memcpy(s, buf, n + 1);
    if (len)
        *len = n;
    return s;
}

static struct product_row product(const char *code)
{
    struct product_row p;
    memset(&p, 0, sizeof p);
    snprintf(p.code, sizeof p.code, "%s", code);
    snprintf(p.name_ja, sizeof p.name_ja, "x");
    snprintf(p.name_en, sizeof p.name_en, "x");
    snprintf(p.level, sizeof p.level, "%s",
             strncmp(code, "dv", 2) == 0   ? "dv"
             : strncmp(code, "ev", 2) == 0 ? "ev"
                                           : "ov");
    p.term_months = 12;
    p.sans_included = p.sans_max = 1;
    if (strcmp(code, "ov-multi") == 0) {
        p.multi_domain = 1;
        p.sans_included = 5;
        p.sans_max = 100;
    }
    p.wildcard = strcmp(code, "ov-wildcard") == 0;
    p.list_price = 60000;
    snprintf(p.reissue_fee, sizeof p.reissue_fee, "free");
    snprintf(p.root_options, sizeof p.root_options, "a,b");
    p.active = 1;
    return p;
}

static char *csr_ok;
static time_t now_ts;

/* A complete, valid OV application for www.example.co.jp. */
static struct appform_in base(void)
{
    struct appform_in in;
    memset(&in, 0, sizeof in);
    in.kind = "new";
    in.csr = csr_ok;
    in.cn = "www.example.co.jp";
    in.root = "a";
    in.dcv_method = "dns";
    in.subject_l = "Chiyoda-ku";
    in.subject_st = "Tokyo";
    in.notify_email[0] = "ssl-admin@example.co.jp";
    in.contact = (struct appform_person){"株式会社エグザンプル",
                                         "情報システム部",
                                         "山田 太郎",
                                         "やまだ たろう",
                                         "100-0001",
                                         "東京都",
                                         "千代田区",
                                         "千代田1-1",
                                         NULL,
                                         "03-1234-5678",
                                         "yamada@example.co.jp"};
    in.billing_same = 1;
    in.org = (struct appform_org){"株式会社エグザンプル",
                                  "Example K.K.",
                                  "本社ビル",
                                  "000012050002",
                                  "何某 大三郎",
                                  "株式会社",
                                  NULL,
                                  "private",
                                  "100-0001",
                                  "東京都",
                                  "千代田区",
                                  "千代田1-1",
                                  "03-1234-5678",
                                  NULL,
                                  NULL,
                                  NULL};
    in.resp =
        (struct appform_resp){"何某 花子", "なにがし はなこ", "営業部", "課長", "03-1234-5679"};
    return in;
}

static void check(const struct appform_in *in, const char *code, struct appform_result *r)
{
    struct product_row p = product(code);
    struct sm_err e = {0};
    assert_int_equal(appform_check(in, &p, now_ts, r, &e), 0);
}

static void dump_errors(const struct appform_result *r)
{
    for (size_t i = 0; i < r->nerrors; i++)
        print_message("  error %s %s %s\n", r->errors[i].field, r->errors[i].key,
                      r->errors[i].detail);
}

static void test_appform_check_base_valid(void **state)
{
    (void)state;
    struct appform_in in = base();
    struct appform_result r;
    check(&in, "ov", &r);
    dump_errors(&r);
    assert_int_equal(r.nerrors, 0);
    assert_string_equal(r.cn, "www.example.co.jp");
    /* R-APP-5: www is the only sub-label: the apex is added. */
    assert_int_equal(r.nnames, 2);
    assert_string_equal(r.names[1], "example.co.jp");
    assert_int_equal(r.user_names, 1);
    assert_string_equal(r.reg_no, "000012050002");
    assert_non_null(strstr(r.applicant_json, "\"o\":\"Example K.K.\""));
    assert_non_null(strstr(r.contact_json, "\"postal\":\"100-0001\""));
    assert_string_equal(r.contact_json, r.billing_json);
    assert_true(json_is_true(json_object_get(r.compare, "cn_matches")));
    assert_string_equal(json_string_value(json_object_get(json_object_get(r.compare, "csr"), "o")),
                        "Example K.K.");
    appform_result_free(&r);
}

/* One mutation of the base application and the single error it must give. */
enum fld {
    F_CN,
    F_ROOT,
    F_DCV,
    F_EMAIL1,
    F_EMAIL2,
    F_REMARKS,
    F_NAME,
    F_KANA,
    F_POSTAL,
    F_PREF,
    F_PHONE,
    F_CEMAIL,
    F_ONAME,
    F_OEN,
    F_BUILDING,
    F_REGNO,
    F_ENTITY,
    F_CATEGORY,
    F_TDB,
    F_COUNTRY,
    F_RKANA,
    F_RPHONE,
    F_L,
    F_KIND,
    F_OPHONE
};

struct row {
    enum fld f;
    const char *value;
    const char *field; /* NULL: valid */
    const char *key;
};

#define B10 "ビルビルビルビルビル" /* 10 characters */

static const struct row rows[] = {
    /* R-APP-4 postal code NNN-NNNN */
    {F_POSTAL, "1000001", NULL, NULL},
    {F_POSTAL, "100-001", "contact.postal", "order.err.postal"},
    {F_POSTAL, "100-00011", "contact.postal", "order.err.postal"},
    {F_POSTAL, "１００-０００１", "contact.postal", "order.err.postal"},
    {F_POSTAL, "100 0001", "contact.postal", "order.err.postal"},
    {F_POSTAL, "", "contact.postal", "order.err.required"},
    /* phone numbers */
    {F_PHONE, "0312345678", NULL, NULL},
    {F_PHONE, "090-1234-5678", NULL, NULL},
    {F_PHONE, "3-1234-5678", "contact.phone", "order.err.phone"},
    {F_PHONE, "03--1234-5678", "contact.phone", "order.err.phone"},
    {F_PHONE, "03-1234-567", "contact.phone", "order.err.phone"},
    {F_PHONE, "090-1234-56789", "contact.phone", "order.err.phone"},
    {F_PHONE, "+81-3-1234-5678", "contact.phone", "order.err.phone"},
    {F_PHONE, "03-1234-5678-", "contact.phone", "order.err.phone"},
    {F_RPHONE, "03(1234)5678", "resp.phone", "order.err.phone"},
    {F_OPHONE, "", "org.phone", "order.err.required"},
    /* e-mail syntax */
    {F_CEMAIL, "a+b@example.co.jp", NULL, NULL},
    {F_CEMAIL, "a@b", "contact.email", "order.err.email"},
    {F_CEMAIL, "a..b@example.jp", "contact.email", "order.err.email"},
    {F_CEMAIL, ".a@example.jp", "contact.email", "order.err.email"},
    {F_CEMAIL, "a@example", "contact.email", "order.err.email"},
    {F_CEMAIL, "a@-example.jp", "contact.email", "order.err.email"},
    {F_CEMAIL, "a b@example.jp", "contact.email", "order.err.email"},
    {F_CEMAIL, "user@例え.jp", "contact.email", "order.err.email"},
    {F_EMAIL1, "", "notify_email1", "order.err.required"},
    {F_EMAIL1, "notify@", "notify_email1", "order.err.email"},
    {F_EMAIL2, "second@example.co.jp", NULL, NULL},
    {F_EMAIL2, "second@@example.co.jp", "notify_email2", "order.err.email"},
    /* kana fields */
    {F_KANA, "ヤマダ　タロウ", NULL, NULL},
    {F_KANA, "やまだ・たろー", NULL, NULL},
    {F_KANA, "山田", "contact.name_kana", "order.err.kana"},
    {F_KANA, "yamada", "contact.name_kana", "order.err.kana"},
    {F_KANA, "ﾔﾏﾀﾞ", "contact.name_kana", "order.err.kana"},
    {F_RKANA, "ナニガシ ハナコ", NULL, NULL},
    {F_RKANA, "なにがし1", "resp.name_kana", "order.err.kana"},
    /* lengths (characters, not bytes) and control characters */
    {F_NAME, "山田山田山田山田山田山田山田山田山田山田山田山田山田山田山田", NULL, NULL},
    {F_NAME, "山田山田山田山田山田山田山田山田山田山田山田山田山田山田山田山", "contact.name",
     "order.err.too_long"},
    {F_NAME, "山田\x01太郎", "contact.name", "order.err.chars"},
    {F_NAME, "山田\xff太郎", "contact.name", "order.err.chars"},
    {F_REMARKS, "一行目\n二行目", NULL, NULL},
    {F_REMARKS, "bell\x07", "remarks", "order.err.chars"},
    /* building name: <= 40 full-width characters or なし */
    {F_BUILDING, "なし", NULL, NULL},
    {F_BUILDING, B10 B10 B10 B10, NULL, NULL},
    {F_BUILDING, B10 B10 B10 B10 "ビ", "org.building", "order.err.building"},
    {F_BUILDING, B10 B10 B10 B10 "X", "org.building", "order.err.building"},
    {F_BUILDING, "", "org.building", "order.err.required"},
    /* registration number: 12 digits; 13-digit corporate number with its check digit */
    {F_REGNO, "1234-00-123456", NULL, NULL},
    {F_REGNO, "7000012050002", NULL, NULL},
    {F_REGNO, "1180301018771", NULL, NULL},
    {F_REGNO, "5010401067252", NULL, NULL},
    {F_REGNO, "8000012050002", "org.reg_no", "order.err.corpnum_check_digit"},
    {F_REGNO, "1180301018772", "org.reg_no", "order.err.corpnum_check_digit"},
    {F_REGNO, "12345", "org.reg_no", "order.err.reg_no"},
    {F_REGNO, "12345678901234", "org.reg_no", "order.err.reg_no"},
    {F_REGNO, "１２３４００１２３４５６", "org.reg_no", "order.err.reg_no"},
    {F_REGNO, "1234--00-123456", "org.reg_no", "order.err.reg_no"},
    {F_REGNO, "", "org.reg_no", "order.err.required"},
    /* legal-entity type from the guide's list; R-APP-6 voluntary association */
    {F_ENTITY, "合同会社", "org.entity_type", "order.err.entity_type"},
    {F_ENTITY, "任意団体", "org.entity_type", "order.inelig.voluntary_association"},
    {F_ENTITY, "有限会社", "org.name_ja", "order.err.entity_in_name"},
    {F_ENTITY, "その他法人", NULL, NULL},
    {F_ONAME, "エグザンプル", "org.name_ja", "order.err.entity_in_name"},
    {F_OEN, "エグザンプル", "org.name_en", "order.err.ascii"},
    {F_OEN, "", "org.name_en", "order.err.required"},
    {F_CATEGORY, "npo", "org.category", "order.err.category"},
    {F_TDB, "123456789", NULL, NULL},
    {F_TDB, "12345678", "org.tdb_code", "order.err.tdb_code"},
    {F_TDB, "12345678a", "org.tdb_code", "order.err.tdb_code"},
    {F_COUNTRY, "JP", NULL, NULL},
    {F_COUNTRY, "US", "org.country", "order.inelig.foreign_org"},
    {F_PREF, "東京", "contact.pref", "order.err.pref"},
    {F_PREF, "大阪府", NULL, NULL},
    {F_L, "千代田区", "subject_l", "order.err.ascii"},
    {F_L, "", "subject_l", "order.err.required"},
    /* names: R-APP-6 internal names and IP addresses; wildcard only for wildcard products */
    {F_CN, "intranet.local", "cn", "order.inelig.cn"},
    {F_CN, "server1", "cn", "order.inelig.cn"},
    {F_CN, "192.0.2.10", "cn", "order.inelig.cn"},
    {F_CN, "www.example.invalid", "cn", "order.inelig.cn"},
    {F_CN, "*.example.co.jp", "cn", "order.err.wildcard_not_allowed"},
    /* issue 8 item 9: a mistyped name gets the message of its mistake, not R-APP-6's */
    {F_CN, "mail_server.example.co.jp", "cn", "name.underscore"},
    {F_CN, "ｗｗｗ．ｅｘａｍｐｌｅ．ｃｏ．ｊｐ", "cn", "name.fullwidth"},
    {F_CN, "www。example。co。jp", "cn", "name.fullwidth"},
    {F_CN, "www.ｅｘａｍｐｌｅ.co.jp", "cn", "name.fullwidth"},
    {F_ROOT, "b", NULL, NULL},
    {F_ROOT, "c", "root", "order.err.root"},
    {F_DCV, "http", NULL, NULL},
    {F_DCV, "email:admin", NULL, NULL},
    {F_DCV, "email:info", "dcv_method", "order.err.dcv_method"},
    {F_DCV, "whois", "dcv_method", "order.err.dcv_method"},
    {F_KIND, "transfer", "kind", "order.err.kind"},
};

static void apply(struct appform_in *in, const struct row *r)
{
    const char *v = r->value;
    switch (r->f) {
    case F_CN: in->cn = v; break;
    case F_ROOT: in->root = v; break;
    case F_DCV: in->dcv_method = v; break;
    case F_EMAIL1: in->notify_email[0] = v; break;
    case F_EMAIL2: in->notify_email[1] = v; break;
    case F_REMARKS: in->remarks = v; break;
    case F_NAME: in->contact.name = v; break;
    case F_KANA: in->contact.name_kana = v; break;
    case F_POSTAL: in->contact.postal = v; break;
    case F_PREF: in->contact.pref = v; break;
    case F_PHONE: in->contact.phone = v; break;
    case F_CEMAIL: in->contact.email = v; break;
    case F_ONAME: in->org.name_ja = v; break;
    case F_OEN: in->org.name_en = v; break;
    case F_BUILDING: in->org.building = v; break;
    case F_REGNO: in->org.reg_no = v; break;
    case F_ENTITY: in->org.entity_type = v; break;
    case F_CATEGORY: in->org.category = v; break;
    case F_TDB: in->org.tdb_code = v; break;
    case F_COUNTRY: in->org.country = v; break;
    case F_RKANA: in->resp.name_kana = v; break;
    case F_RPHONE: in->resp.phone = v; break;
    case F_L: in->subject_l = v; break;
    case F_KIND: in->kind = v; break;
    case F_OPHONE: in->org.phone = v; break;
    }
}

static void test_appform_check_field_rules(void **state)
{
    (void)state;
    int failed = 0;
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        struct appform_in in = base();
        apply(&in, &rows[i]);
        struct appform_result r;
        check(&in, "ov", &r);
        int ok = rows[i].field == NULL
                     ? r.nerrors == 0
                     : r.nerrors == 1 && appform_has_error(&r, rows[i].field, rows[i].key);
        if (!ok) {
            print_message("row %zu (\"%s\"): want %s %s, got %zu errors\n", i, rows[i].value,
                          rows[i].field ? rows[i].field : "-", rows[i].key ? rows[i].key : "-",
                          r.nerrors);
            dump_errors(&r);
            failed++;
        }
        if (rows[i].key != NULL && strncmp(rows[i].key, "order.inelig.", 13) == 0)
            assert_int_equal(r.ineligible, 1);
        appform_result_free(&r);
    }
    assert_int_equal(failed, 0);
}

/* Every error is reported at once, not only the first. */
static void test_appform_check_reports_every_error(void **state)
{
    (void)state;
    struct appform_in in = base();
    in.contact.postal = "1";
    in.contact.email = "x";
    in.org.reg_no = "8000012050002";
    in.resp.name_kana = "漢字";
    in.notify_email[0] = NULL;
    struct appform_result r;
    check(&in, "ov", &r);
    assert_int_equal(r.nerrors, 5);
    assert_true(appform_has_error(&r, "contact.postal", "order.err.postal"));
    assert_true(appform_has_error(&r, "contact.email", "order.err.email"));
    assert_true(appform_has_error(&r, "org.reg_no", "order.err.corpnum_check_digit"));
    assert_true(appform_has_error(&r, "resp.name_kana", "order.err.kana"));
    assert_true(appform_has_error(&r, "notify_email1", "order.err.required"));
    assert_int_equal(r.ineligible, 0);
    appform_result_free(&r);
}

/* R-APP-5: the double address. */
static void test_appform_check_double_address(void **state)
{
    (void)state;
    struct appform_in in = base();
    struct appform_result r;
    in.cn = "www.shop.example.co.jp"; /* www is not the only sub-label */
    check(&in, "ov", &r);
    assert_int_equal(r.nerrors, 0);
    assert_int_equal(r.nnames, 1);
    appform_result_free(&r);
    in.cn = "example.co.jp";
    in.double_address = 1;
    check(&in, "ov", &r);
    assert_int_equal(r.nerrors, 0);
    assert_int_equal(r.nnames, 2);
    assert_string_equal(r.names[1], "www.example.co.jp");
    assert_int_equal(r.user_names, 1);
    appform_result_free(&r);
    in.cn = "shop.example.co.jp";
    check(&in, "ov", &r);
    assert_true(appform_has_error(&r, "double_address", "order.err.double_address"));
    appform_result_free(&r);
    in.cn = "WWW.Example.COM"; /* lower-cased first */
    in.double_address = 0;
    check(&in, "ov", &r);
    assert_int_equal(r.nerrors, 0);
    assert_string_equal(r.names[0], "www.example.com");
    assert_string_equal(r.names[1], "example.com");
    appform_result_free(&r);
    char apex[256];
    assert_int_equal(appform_www_apex("www.example.co.jp", apex), 1);
    assert_string_equal(apex, "example.co.jp");
    assert_int_equal(appform_www_apex("www.co.jp", apex), 0);
    assert_int_equal(appform_www_apex("www.a.example.com", apex), 0);
    assert_int_equal(appform_www_apex("wwwexample.com", apex), 0);
}

/* SAN limits of the product; wildcard products. */
static void test_appform_check_names_per_product(void **state)
{
    (void)state;
    const char *sans[101];
    char buf[101][32];
    for (int i = 0; i < 101; i++) {
        snprintf(buf[i], sizeof buf[i], "h%d.example.co.jp", i);
        sans[i] = buf[i];
    }
    struct appform_in in = base();
    struct appform_result r;
    in.sans = sans;
    in.nsans = 1;
    check(&in, "ov", &r);
    assert_true(appform_has_error(&r, "sans", "order.err.sans_not_allowed"));
    appform_result_free(&r);
    /* duplicates of the CN and the automatic apex are not extra names */
    const char *dups[] = {"www.example.co.jp", "EXAMPLE.co.jp", ""};
    in.sans = dups;
    in.nsans = 3;
    check(&in, "ov", &r);
    assert_int_equal(r.nerrors, 0);
    assert_int_equal(r.nnames, 2);
    appform_result_free(&r);
    in.sans = sans;
    in.nsans = 5; /* CN + 5 = 6 names; 5 included: one extra */
    check(&in, "ov-multi", &r);
    assert_int_equal(r.nerrors, 0);
    assert_int_equal(r.nnames, 7);
    assert_int_equal(r.user_names, 6);
    assert_int_equal(r.extra_sans, 1);
    appform_result_free(&r);
    in.nsans = 99; /* 100 names */
    check(&in, "ov-multi", &r);
    assert_int_equal(r.nerrors, 0);
    appform_result_free(&r);
    in.nsans = 100; /* 101 names */
    check(&in, "ov-multi", &r);
    assert_true(appform_has_error(&r, "sans", "order.err.too_many_names"));
    appform_result_free(&r);
    const char *bad[] = {"ok.example.co.jp", "bad_name.example.co.jp", "*.example.co.jp"};
    in.sans = bad;
    in.nsans = 3;
    check(&in, "ov-multi", &r);
    assert_int_equal(r.nerrors, 2);
    assert_true(appform_has_error(&r, "sans[1]", NULL));
    assert_true(appform_has_error(&r, "sans[2]", "order.err.wildcard_not_allowed"));
    appform_result_free(&r);
    in.sans = NULL;
    in.nsans = 0;
    in.cn = "*.example.co.jp";
    check(&in, "ov-wildcard", &r);
    assert_int_equal(r.nerrors, 0); /* a new order's CN may differ from the CSR's */
    assert_int_equal(r.nnames, 1);
    assert_string_equal(r.names[0], "*.example.co.jp");
    appform_result_free(&r);
}

/* R-APP-6: sole proprietors (age 20 on the Tokyo date, registration). */
static void test_appform_check_sole_proprietor(void **state)
{
    (void)state;
    static const struct {
        const char *birth, *registered, *field, *key;
    } t[] = {
        {"2006-11-29", "1", NULL, NULL}, /* 20 today (2026-11-29 JST) */
        {"2006-11-30", "1", "org.birth_date", "order.inelig.proprietor_minor"},
        {"2010-01-01", "1", "org.birth_date", "order.inelig.proprietor_minor"},
        {"1980-05-05", "0", "org.registered", "order.inelig.proprietor_unregistered"},
        {"1980-05-05", NULL, "org.registered", "order.inelig.proprietor_unregistered"},
        {"2030-01-01", "1", "org.birth_date", "order.err.date"},
        {"1980-02-30", "1", "org.birth_date", "order.err.date"},
        {NULL, "1", "org.birth_date", "order.err.required"},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        struct appform_in in = base();
        in.org.entity_type = "個人事業主";
        in.org.name_ja = "エグザンプル商店 山田太郎";
        in.org.reg_no = NULL; /* no company registration for a sole proprietor */
        in.org.birth_date = t[i].birth;
        in.org.registered = t[i].registered;
        struct appform_result r;
        check(&in, "ov", &r);
        if (t[i].field == NULL) {
            dump_errors(&r);
            assert_int_equal(r.nerrors, 0);
        } else {
            assert_int_equal(r.nerrors, 1);
            assert_true(appform_has_error(&r, t[i].field, t[i].key));
        }
        appform_result_free(&r);
    }
}

/* DV needs no organization data; EV needs the name language. */
static void test_appform_check_level_requirements(void **state)
{
    (void)state;
    struct appform_in in = base();
    memset(&in.org, 0, sizeof in.org);
    memset(&in.resp, 0, sizeof in.resp);
    in.subject_l = in.subject_st = NULL;
    in.contact.org = NULL;
    struct appform_result r;
    check(&in, "dv", &r);
    dump_errors(&r);
    assert_int_equal(r.nerrors, 0);
    assert_string_equal(r.applicant_json, "{}");
    assert_string_equal(r.reg_no, "");
    appform_result_free(&r);
    check(&in, "ov", &r);
    assert_true(r.nerrors >= 10);
    assert_true(appform_has_error(&r, "org.name_ja", "order.err.required"));
    assert_true(appform_has_error(&r, "resp.phone", "order.err.required"));
    assert_true(appform_has_error(&r, "contact.org", "order.err.required"));
    appform_result_free(&r);
    in = base();
    check(&in, "ev", &r);
    assert_int_equal(r.nerrors, 1);
    assert_true(appform_has_error(&r, "ev_name_lang", "order.err.required"));
    appform_result_free(&r);
    in.ev_name_lang = "fr";
    check(&in, "ev", &r);
    assert_true(appform_has_error(&r, "ev_name_lang", "order.err.ev_name_lang"));
    appform_result_free(&r);
    in.ev_name_lang = "ja";
    check(&in, "ev", &r);
    assert_int_equal(r.nerrors, 0);
    assert_non_null(strstr(r.applicant_json, "\"ev_name_lang\":\"ja\""));
    appform_result_free(&r);
    /* government bodies have no company registration number */
    in.org.category = "government";
    in.org.reg_no = NULL;
    in.org.entity_type = "地方公共団体";
    in.org.name_ja = "千代田市";
    check(&in, "ov", &r);
    assert_int_equal(r.nerrors, 0);
    appform_result_free(&r);
}

/* The CSR: missing, rejected (its own problem codes), R-CSR-2 CN on renewal/reissue. */
static void test_appform_check_csr(void **state)
{
    (void)state;
    struct appform_in in = base();
    struct appform_result r;
    in.csr = NULL;
    check(&in, "ov", &r);
    assert_int_equal(r.nerrors, 1);
    assert_true(appform_has_error(&r, "csr", "order.err.required"));
    assert_null(r.compare);
    appform_result_free(&r);
    char *weak = slurp("bad_rsa1024.pem", NULL);
    in.csr = weak;
    check(&in, "ov", &r);
    assert_true(appform_has_error(&r, "csr", "csr.key.rsa_too_small"));
    assert_non_null(csr_problem_find(r.errors[0].key));
    appform_result_free(&r);
    free(weak);
    in.csr = csr_ok;
    in.cn = NULL; /* the CSR's CN is used */
    check(&in, "ov", &r);
    assert_int_equal(r.nerrors, 0);
    assert_string_equal(r.cn, "www.example.co.jp");
    appform_result_free(&r);
    in.cn = "other.example.co.jp"; /* new: the CN differs from the CSR, shown only */
    check(&in, "ov", &r);
    assert_int_equal(r.nerrors, 0);
    assert_true(json_is_false(json_object_get(r.compare, "cn_matches")));
    appform_result_free(&r);
    in.kind = "renewal";
    in.expected_cn = "other.example.co.jp";
    check(&in, "ov", &r);
    assert_int_equal(r.nerrors, 1);
    assert_true(appform_has_error(&r, "csr", "order.err.cn_mismatch"));
    appform_result_free(&r);
    in.kind = "reissue";
    in.cn = "www.example.co.jp";
    in.expected_cn = "WWW.example.co.jp";
    check(&in, "ov", &r);
    assert_int_equal(r.nerrors, 0);
    appform_result_free(&r);
    in.expected_cn = "shop.example.co.jp";
    check(&in, "ov", &r);
    assert_true(appform_has_error(&r, "cn", "order.err.cn_changed"));
    assert_true(appform_has_error(&r, "csr", "order.err.cn_mismatch"));
    appform_result_free(&r);
}

/* R-VAL-1 dated policy: e-mail DCV is refused from 2028-03-15. */
static void test_appform_check_email_dcv_sunset(void **state)
{
    (void)state;
    struct appform_in in = base();
    in.dcv_method = "email:webmaster";
    struct product_row p = product("ov");
    struct appform_result r;
    struct sm_err e = {0};
    time_t t;
    assert_int_equal(clock_parse_utc("2028-03-15", &t), 0);
    assert_int_equal(appform_check(&in, &p, t, &r, &e), 0);
    assert_true(appform_has_error(&r, "dcv_method", "order.err.dcv_email_off"));
    appform_result_free(&r);
    assert_int_equal(appform_check(&in, &p, t - 1, &r, &e), 0);
    assert_int_equal(r.nerrors, 0);
    assert_string_equal(r.dcv_method, "email:webmaster");
    appform_result_free(&r);
}

/* DER is accepted and stored as PEM. */
static void test_appform_check_der_csr_stored_as_pem(void **state)
{
    (void)state;
    size_t len = 0;
    char *der = slurp("ok_rsa2048.der", &len);
    struct appform_in in = base();
    in.csr = der;
    in.csr_len = len;
    struct appform_result r;
    check(&in, "ov", &r);
    assert_int_equal(r.nerrors, 0);
    assert_non_null(r.csr_pem);
    assert_int_equal(strncmp(r.csr_pem, "-----BEGIN CERTIFICATE REQUEST-----\n", 36), 0);
    appform_result_free(&r);
    free(der);
}

/* Every allocation failure is an error return, never a crash or a leak. */
static void test_appform_check_failalloc(void **state)
{
    (void)state;
    struct appform_in in = base();
    struct product_row p = product("ov");
    struct appform_result r;
    struct sm_err e = {0};
    failalloc_set(0);
    assert_int_equal(appform_check(&in, &p, now_ts, &r, &e), 0);
    long total = failalloc_count();
    appform_result_free(&r);
    assert_true(total > 10);
    int failures = 0;
    for (long n = 1; n <= total; n++) {
        failalloc_set(n);
        int rc = appform_check(&in, &p, now_ts, &r, &e);
        failalloc_set(0);
        appform_result_free(&r);
        if (rc < 0)
            failures++;
    }
    assert_true(failures > 0);
}

static void test_field_corpnum_valid_real_numbers(void **state)
{
    (void)state;
    static const char *const good[] = {"7000012050002", "1180301018771", "5010401067252"};
    for (size_t i = 0; i < 3; i++)
        assert_int_equal(field_corpnum_valid(good[i]), 1);
    /* every other leading digit is wrong */
    for (size_t i = 0; i < 3; i++)
        for (char c = '0'; c <= '9'; c++) {
            char d[14];
            memcpy(d, good[i], 14);
            if (c == d[0])
                continue;
            d[0] = c;
            assert_int_equal(field_corpnum_valid(d), 0);
        }
    assert_int_equal(field_corpnum_valid("700001205000"), 0);
    assert_int_equal(field_corpnum_valid("70000120500a2"), 0);
    char out[13];
    assert_int_equal(field_regno("7000012050002", out), FIELD_REGNO_OK);
    assert_string_equal(out, "000012050002");
    assert_int_equal(field_regno("1180-30-1018771", out), FIELD_REGNO_OK);
    assert_string_equal(out, "180301018771");
    assert_int_equal(field_regno("-123400123456", out), FIELD_REGNO_FORMAT);
    assert_int_equal(field_regno("123400123456-", out), FIELD_REGNO_FORMAT);
    assert_int_equal(field_regno("", out), FIELD_REGNO_FORMAT);
}

static void test_field_chars_and_kana(void **state)
{
    (void)state;
    assert_int_equal(field_chars("abc"), 3);
    assert_int_equal(field_chars("なし"), 2);
    assert_int_equal(field_chars("\xc0\x80"), -1);         /* overlong NUL */
    assert_int_equal(field_chars("\xed\xa0\x80"), -1);     /* surrogate */
    assert_int_equal(field_chars("\xf4\x90\x80\x80"), -1); /* past U+10FFFF */
    assert_int_equal(field_chars("\xe3\x81"), -1);         /* truncated */
    assert_int_equal(field_kana(""), 0);
    assert_int_equal(field_kana("がっこう"), 1);
    assert_int_equal(field_kana("ヴァイオリン"), 1);
    assert_int_equal(field_kana("ａ"), 0);
    size_t n;
    const struct field_entity *t = field_entity_types(&n);
    assert_int_equal(n, 26);
    assert_string_equal(t[0].name_ja, "株式会社");
    assert_int_equal(field_entity("医療法人社団", NULL), FIELD_ENTITY_ORG);
}

int main(void)
{
    assert_int_equal(clock_parse_utc("2026-11-29T00:00:00Z", &now_ts), 0);
    csr_ok = slurp("ok_p256.pem", NULL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_appform_check_base_valid),
        cmocka_unit_test(test_appform_check_field_rules),
        cmocka_unit_test(test_appform_check_reports_every_error),
        cmocka_unit_test(test_appform_check_double_address),
        cmocka_unit_test(test_appform_check_names_per_product),
        cmocka_unit_test(test_appform_check_sole_proprietor),
        cmocka_unit_test(test_appform_check_level_requirements),
        cmocka_unit_test(test_appform_check_csr),
        cmocka_unit_test(test_appform_check_email_dcv_sunset),
        cmocka_unit_test(test_appform_check_der_csr_stored_as_pem),
        cmocka_unit_test(test_appform_check_failalloc),
        cmocka_unit_test(test_field_corpnum_valid_real_numbers),
        cmocka_unit_test(test_field_chars_and_kana),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    free(csr_ok);
    return rc;
}
