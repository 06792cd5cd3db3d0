/* SPDX-License-Identifier: MIT */
/* core/err: issue 7 (one error path) — the table walk: every code has an HTTP status, a
 * message key present in both catalogs (ja, en), a stable problem type of its own and an
 * HTTP title in both languages; the codes once hidden in e->field strings exist. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/err.h"
#include "web/i18n.h"

static void test_err_table_walk(void **state)
{
    (void)state;
    struct sm_err e = {0};
    assert_int_equal(i18n_init(&e), 0);
    for (int c = SM_E_NOMEM; c < SM_E__COUNT; c++) {
        int st = sm_err_http(c);
        if (st < 400 || st > 599)
            fail_msg("%s has no error status (%d)", sm_err_name(c), st);
        const char *key = sm_err_msgkey(c);
        if (i18n_get("ja", key) == NULL || i18n_get("en", key) == NULL)
            fail_msg("%s: message key '%s' missing in a catalog", sm_err_name(c), key);
        char hk[16];
        snprintf(hk, sizeof hk, "http.%d", st);
        if (i18n_get("ja", hk) == NULL || i18n_get("en", hk) == NULL)
            fail_msg("%s: no localized title '%s'", sm_err_name(c), hk);
        const char *type = sm_err_type(c);
        assert_non_null(type);
        /* ACME's errors carry the types of RFC 8555 6.7 (issue 10), all others shomei's */
        const char *pre = strncmp(sm_err_name(c), "SM_E_ACME_", 10) == 0
                              ? "urn:ietf:params:acme:error:"
                              : "urn:shomei:problem:";
        if (strncmp(type, pre, strlen(pre)) != 0 || strlen(type) <= strlen(pre))
            fail_msg("%s: problem type %s does not start with %s", sm_err_name(c), type, pre);
        /* unique, but for RFC 8555's fixed types: malformed also answers the 409 of a
         * keyChange to another account's key (7.3.5), told apart by its status; unauthorized
         * also answers OV/EV without current vetting and a stale validation (issue 10 item
         * 4), told apart by their message keys (the problem's "code") */
        for (int d = SM_E_NOMEM; d < c; d++)
            if (strcmp(sm_err_type(d), type) == 0 &&
                !(strncmp(sm_err_name(d), "SM_E_ACME_", 10) == 0 &&
                  strncmp(sm_err_name(c), "SM_E_ACME_", 10) == 0 &&
                  (sm_err_http(d) != sm_err_http(c) ||
                   strcmp(sm_err_msgkey(d), sm_err_msgkey(c)) != 0)))
                fail_msg("%s and %s share the problem type %s", sm_err_name(d), sm_err_name(c),
                         type);
    }
}

/* The refusals that used to travel as field strings have their own codes and statuses. */
static void test_err_codes_of_former_field_strings(void **state)
{
    (void)state;
    assert_int_equal(sm_err_http(SM_E_MAINTENANCE), 503);
    assert_int_equal(sm_err_http(SM_E_STALE), 409);
    assert_int_equal(sm_err_http(SM_E_MEDIA_TYPE), 415);
    assert_int_equal(sm_err_http(SM_E_DCV_METHOD), 422);
    assert_int_equal(sm_err_http(SM_E_RATE_LIMITED), 429);
    assert_int_equal(sm_err_http(SM_E_DB_BUSY), 503);
    assert_string_equal(sm_err_msgkey(SM_E_DB_BUSY), "web.db_unavailable");
    assert_int_equal(sm_err_http(SM_E_STORAGE_FULL), 507);
    assert_string_equal(sm_err_type(SM_E_STALE), "urn:shomei:problem:stale");
    /* an answer made from a status and a key finds its code */
    assert_int_equal(sm_err_lookup("web.db_unavailable", 503), SM_E_DB_BUSY);
    assert_int_equal(sm_err_lookup("web.notfound", 404), SM_E_NOTFOUND);
    assert_int_equal(sm_err_lookup(NULL, 401), -1);
    assert_int_equal(sm_err_lookup("web.utf8", 400), SM_E_MALFORMED);
    /* bad input in a readable request keeps the portal's and API's former 422 */
    assert_int_equal(sm_err_http(SM_E_INVALID), 422);
    /* out-of-range codes answer as internal errors */
    assert_int_equal(sm_err_http(-3), 500);
    assert_int_equal(sm_err_http(SM_E__COUNT), 500);
    assert_string_equal(sm_err_type(SM_E__COUNT), sm_err_type(SM_E_INTERNAL));
    /* issue 10: ACME problem documents */
    assert_string_equal(sm_err_type(SM_E_ACME_BAD_NONCE), "urn:ietf:params:acme:error:badNonce");
    /* issue 10: the order flow's problem types */
    assert_string_equal(sm_err_type(SM_E_ACME_REJECTED_IDENTIFIER),
                        "urn:ietf:params:acme:error:rejectedIdentifier");
    assert_string_equal(sm_err_type(SM_E_ACME_BAD_CSR), "urn:ietf:params:acme:error:badCSR");
    assert_int_equal(sm_err_http(SM_E_ACME_ORDER_NOT_READY), 403);
    assert_int_equal(sm_err_http(SM_E_ACME_NOT_FOUND), 404);
    assert_string_equal(sm_err_type(SM_E_ACME_NOT_FOUND), "urn:ietf:params:acme:error:malformed");
    assert_int_equal(sm_err_http(SM_E_ACME_UNAUTHORIZED), 403);
    /* issue 10 items 2, 3: revokeCert's problems and keyChange's 409 */
    assert_string_equal(sm_err_type(SM_E_ACME_ALREADY_REVOKED),
                        "urn:ietf:params:acme:error:alreadyRevoked");
    assert_string_equal(sm_err_type(SM_E_ACME_BAD_REV_REASON),
                        "urn:ietf:params:acme:error:badRevocationReason");
    assert_int_equal(sm_err_http(SM_E_ACME_KEY_CONFLICT), 409);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_err_table_walk),
        cmocka_unit_test(test_err_codes_of_former_field_strings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
