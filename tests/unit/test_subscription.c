/* SPDX-License-Identifier: MIT */
/* R-REN-1, R-REN-2, R-REN-4, R-REN-6, R-SCL-1 (issue 9 items 1 and 2): the rules of
 * ra/subscription.c and its tables (store/subscriptions.c) on SQLite, and on PostgreSQL too
 * when SHOMEI_TEST_PG_URL is set: each certificate's validity capped by the dated policy and
 * never past the subscription end; the renewal window from 60 days before the end; the
 * days carried into a renewal within the policy maximum; the reminders at 90/60/45/30/15
 * days each recorded and mailed once under a moving clock, also when two connections sweep
 * at once; auto-cancel at the end with its notice; the refusals of a continued issuance
 * and of a renewal that changes what it cannot; the renewal application's source and what
 * it keeps (R-APP-1, R-REN-3), a replacing new application carrying the days left, the
 * phone verification reused by a renewal (R-VAL-5), DCV redone for a renewal past the reuse
 * period, and the notification addresses changed as their own audited operation
 * (R-MNG-5). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "testdir.h"
#include "dbfixture.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/config.h"
#include "core/policy.h"
#include "ra/notifyaddr.h"
#include "ra/product.h"
#include "ra/reissue.h"
#include "ra/review.h"
#include "ra/validate.h"
#include "ra/revoke.h"
#include "ra/subscription.h"
#include "store/audit.h"
#include "store/certs.h"
#include "store/order_domains.h"
#include "store/db.h"
#include "store/orders.h"
#include "store/products.h"
#include "store/subscriptions.h"
#include "store/vetting.h"

#define DAY          86400
#define T_2026_12_01 ((time_t)1796083200) /* 2026-12-01T00:00:00Z */
#define T_2027_06_01 ((time_t)1811808000)
#define T_2029_04_01 ((time_t)1869696000)

struct fx {
    char dir[256];
    char url[1024];
    struct db *db;
    struct product_row p;
    int64_t ca_id, org_id;
};

static const struct db_stmt st_extend = {
    "t.extend", "UPDATE certificates SET not_after = $1 WHERE id = $2", NULL, NULL};
static const struct db_stmt st_mails = {"t.mails", "SELECT COUNT(*) FROM outbox WHERE tmpl = $1",
                                        NULL, NULL};
static const struct db_stmt st_notices = {
    "t.notices",
    "SELECT COUNT(*) FROM subscription_notices WHERE kind = $1 AND notice_key = $2 AND mailed = $3",
    NULL, NULL};

static const struct db_stmt st_audits = {
    "t.audits", "SELECT COUNT(*) FROM audit_log WHERE action = 'order.notify_changed'", NULL, NULL};
static const struct db_stmt st_rcpt_new = {
    "t.rcpt_new",
    "SELECT COUNT(*) FROM outbox WHERE tmpl = 'subscription_reminder' AND to_addr = "
    "'ops@sub-test.co.jp'",
    NULL, NULL};
static const struct db_stmt st_rcpt_old = {
    "t.rcpt_old",
    "SELECT COUNT(*) FROM outbox WHERE tmpl = 'subscription_reminder' AND to_addr = "
    "'cert@sub-test.co.jp'",
    NULL, NULL};

static int64_t mails(struct db *db, const char *tmpl)
{
    struct db_val p[1] = {DBV_TEXT(tmpl)};
    return dbfx_count(db, &st_mails, p, 1);
}

static int64_t notices(struct db *db, const char *kind, const char *key, int mailed)
{
    struct db_val p[3] = {DBV_TEXT(kind), DBV_TEXT(key), DBV_INT(mailed)};
    return dbfx_count(db, &st_notices, p, 3);
}

static int fx_setup(void **state)
{
    const struct backend *be = *state;
    struct fx *f = calloc(1, sizeof *f);
    assert_non_null(f);
    f->db = dbfx_open(be, "subscription", f->dir, sizeof f->dir, f->url, sizeof f->url);
    struct sm_err e = {0};
    int created = 0;
    assert_int_equal(product_seed_demo(f->db, "test", &created, &e), 0);
    assert_int_equal(products_get_by_code(f->db, "dv-1y", &f->p, &e), 0);
    f->ca_id = dbfx_add_ca(f->db, "dv-a", "dv");
    f->org_id = 7;
    *state = f;
    return 0;
}

static int fx_teardown(void **state)
{
    struct fx *f = *state;
    db_close(f->db);
    testdir_remove(f->dir);
    free(f);
    clock_set(0);
    return 0;
}

/* An order of kind in state, cn www.sub-test.co.jp. */
static int64_t add_order(struct fx *f, const char *kind, const char *state, int64_t pred)
{
    struct dbfx_order o = {"test",
                           kind,
                           state,
                           f->p.id,
                           f->org_id,
                           pred,
                           "www.sub-test.co.jp",
                           "cert@sub-test.co.jp",
                           "{\"org\":{\"name_ja\":\"株式会社サブ\",\"postal\":\"100-0001\"}}",
                           NULL};
    return dbfx_add_order(f->db, &o);
}

/* The subscription record of an issued certificate, inside the transaction storing it. */
struct record {
    const struct order_row *o;
    const struct sub_plan *plan;
    time_t at;
};

static int record(struct db *db, int64_t cert_id, void *ctx, struct sm_err *e)
{
    struct record *r = ctx;
    return subscription_record_tx(db, r->o, r->plan, cert_id, r->at, e);
}

/* Issues order oid at now the way ra/fulfil does: plan, certificate, record. */
static int64_t issue(struct fx *f, int64_t oid, time_t now, struct sub_plan *plan)
{
    static int seq;
    struct sm_err e = {0};
    struct order_row *o = NULL;
    static const struct org_scope all = {1, NULL, 0};
    assert_int_equal(orders_get(f->db, oid, &all, &o, &e), 0);
    assert_int_equal(subscription_plan(f->db, o, &f->p, now, plan, &e), 0);
    char serial[48];
    snprintf(serial, sizeof serial, "5ab%04d", ++seq);
    struct certs_new c = {.serial = serial,
                          .ca_id = f->ca_id,
                          .level = "dv",
                          .root = "a",
                          .cn = "www.sub-test.co.jp",
                          .names_json = "[\"www.sub-test.co.jp\"]",
                          .order_id = oid,
                          .org_id = f->org_id};
    static const unsigned char leaf[] = {0x30, 0x03, 0x02, 0x01, 0x01};
    time_t na = sub_cert_not_after(now, now, (time_t)plan->ends_at);
    struct record rec = {o, plan, now};
    int64_t id = dbfx_add_issued(f->db, &c, leaf, sizeof leaf, now, na, record, &rec);
    order_row_free(o);
    return id;
}

/* ---- pure rules ---- */

static void test_cap_by_date(void **state)
{
    (void)state;
    time_t end = sub_term_end(T_2026_12_01, 24);
    /* R-REN-6: 200 days now, 100 from 2027-03-15, 47 from 2029-03-15 */
    assert_int_equal(sub_cert_not_after(T_2026_12_01, T_2026_12_01, end),
                     T_2026_12_01 + 200 * DAY - 1);
    assert_int_equal(sub_cert_not_after(T_2027_06_01, T_2027_06_01, end),
                     T_2027_06_01 + 100 * DAY - 1);
    assert_int_equal(sub_cert_not_after(T_2029_04_01, T_2029_04_01, 0),
                     T_2029_04_01 + 47 * DAY - 1);
    /* never past the subscription end */
    time_t end1 = sub_term_end(T_2026_12_01, 12);
    assert_int_equal(end1, T_2026_12_01 + 365 * DAY - 1);
    assert_int_equal(sub_cert_not_after(end1 - 50 * DAY, end1 - 50 * DAY, end1), end1);
    assert_true(policy_validity_fits(T_2026_12_01,
                                     sub_cert_not_after(T_2026_12_01, T_2026_12_01, 0),
                                     policy_max_validity_days(T_2026_12_01)));
}

static void test_window_and_carry(void **state)
{
    (void)state;
    time_t end = sub_term_end(T_2026_12_01, 12);
    /* R-REN-2: from 60 days before the end */
    assert_false(sub_renewal_open(end, end - 60 * DAY));
    assert_true(sub_renewal_open(end, end + 1 - 60 * DAY));
    assert_true(sub_renewal_open(end, end));
    assert_false(sub_renewal_open(end, end + 1));
    assert_int_equal(sub_renewal_from(end), end + 1 - 60 * DAY);
    /* the days left, whole days, within the policy maximum */
    assert_int_equal(sub_carry_days(end, end + 1 - 40 * DAY), 40);
    assert_int_equal(sub_carry_days(end, end - 40 * DAY), 40); /* a part day is not carried */
    assert_int_equal(sub_carry_days(end, end + 1), 0);
    time_t late = T_2029_04_01 + 60 * DAY - 1; /* 60 days left, cap 47 */
    assert_int_equal(sub_carry_days(late, T_2029_04_01), 47);
}

static void test_thresholds(void **state)
{
    (void)state;
    time_t end = sub_term_end(T_2026_12_01, 12);
    size_t due[SUB_NREMINDERS];
    assert_int_equal(sub_reminders_due(end, end - 91 * DAY, due), 0);
    assert_int_equal(sub_reminders_due(end, end + 1 - 90 * DAY, due), 1);
    assert_int_equal(sub_reminder_days[due[0]], 90);
    assert_int_equal(sub_reminders_due(end, end - 50 * DAY, due), 2);
    assert_int_equal(sub_reminder_days[due[1]], 60);
    assert_int_equal(sub_reminders_due(end, end - 1 * DAY, due), 5);
    assert_int_equal(sub_reminder_days[due[4]], 15);
    assert_int_equal(sub_reminders_due(end, end + 1, due), 0);
}

/* ---- with the database ---- */

/* R-REN-6 R-REN-2: a new order opens a subscription of the product's term; a continued
 * order is capped at its end; a renewal carries the days left over and closes the old. */
static void test_plan_and_record(void **state)
{
    struct fx *f = *state;
    struct sm_err e = {0};
    struct sub_plan plan;
    int64_t o1 = add_order(f, "new", "approved", 0);
    int64_t c1 = issue(f, o1, T_2026_12_01, &plan);
    assert_int_equal(plan.kind, 0);
    assert_int_equal(plan.ends_at, sub_term_end(T_2026_12_01, 12));
    struct subscription_row s = {0};
    assert_int_equal(subscriptions_get_by_cert(f->db, c1, &s, &e), 0);
    assert_string_equal(s.state, "active");
    assert_int_equal(s.ends_at, plan.ends_at);

    /* a continuation linked to the subscription: the same end */
    int64_t o2 = add_order(f, "new", "approved", 0);
    assert_int_equal(db_begin(f->db, &e), 0);
    assert_int_equal(subscription_certs_insert(f->db, s.id, o2, 0, "continued", T_2027_06_01, &e),
                     0);
    assert_int_equal(db_commit(f->db, &e), 0);
    int64_t c2 = issue(f, o2, T_2027_06_01, &plan);
    assert_int_equal(plan.kind, 1);
    assert_int_equal(plan.ends_at, s.ends_at);
    struct subscription_cert_row *l = NULL;
    size_t n = 0;
    assert_int_equal(subscription_certs_list(f->db, s.id, &l, &n, &e), 0);
    assert_int_equal(n, 2);
    assert_int_equal(l[1].cert_id, c2);
    assert_string_equal(l[1].reason, "continued");
    assert_int_equal(l[1].not_after, T_2027_06_01 + 100 * DAY - 1); /* the cap of 2027-06 */
    free(l);

    /* a renewal 40 days before the end carries 40 days */
    time_t at = (time_t)s.ends_at + 1 - 40 * DAY;
    int64_t o3 = add_order(f, "renewal", "approved", c2);
    int64_t c3 = issue(f, o3, at, &plan);
    assert_int_equal(plan.kind, 2);
    assert_int_equal(plan.carried_days, 40);
    assert_int_equal(plan.ends_at, sub_term_end(at, 12) + 40 * DAY);
    struct subscription_row s2 = {0}, old = {0};
    assert_int_equal(subscriptions_get_by_cert(f->db, c3, &s2, &e), 0);
    assert_int_equal(s2.predecessor_id, s.id);
    assert_int_equal(s2.carried_days, 40);
    assert_int_equal(subscriptions_get(f->db, s.id, &old, &e), 0);
    assert_string_equal(old.state, "renewed");
    struct subscription_row next = {0};
    assert_int_equal(subscriptions_get_successor(f->db, s.id, &next, &e), 0);
    assert_int_equal(next.id, s2.id);
    assert_int_equal(subscriptions_get_successor(f->db, s2.id, &next, NULL), -SM_E_NOTFOUND);
    /* R-RI-7 (issue 9): the history of each certificate shows the whole line, oldest first:
     * the renewed subscription's two certificates, then the renewal's */
    const int64_t certs[3] = {c1, c2, c3};
    for (int i = 0; i < 3; i++) {
        json_t *h = reissue_history(f->db, certs[i], &e);
        assert_non_null(h);
        assert_int_equal(json_array_size(h), 3);
        const char *why[3] = {"first", "continued", "renewal"};
        for (size_t k = 0; k < 3; k++)
            assert_string_equal(
                json_string_value(json_object_get(json_array_get(h, k), "issued_why")), why[k]);
        json_decref(h);
    }

    /* a continuation of a cancelled subscription is refused */
    int64_t o4 = add_order(f, "new", "approved", 0);
    assert_int_equal(db_begin(f->db, &e), 0);
    assert_int_equal(subscription_certs_insert(f->db, s.id, o4, 0, "continued", at, &e), 0);
    assert_int_equal(db_commit(f->db, &e), 0);
    struct order_row *o = NULL;
    static const struct org_scope all = {1, NULL, 0};
    assert_int_equal(orders_get(f->db, o4, &all, &o, &e), 0);
    assert_int_equal(db_begin(f->db, &e), 0);
    assert_int_equal(subscriptions_set_state(f->db, s2.id, "active", "cancelled", at, &e), 0);
    assert_int_equal(db_commit(f->db, &e), 0);
    assert_int_equal(subscriptions_set_state(f->db, s2.id, "active", "cancelled", at, &e),
                     -SM_E_CONFLICT);
    order_row_free(o);
}

/* R-REN-1 R-REN-4 R-SCL-1: under a moving clock each reminder is mailed once, reminders
 * skipped over by a jump are recorded but not mailed, the end cancels with one notice. */
static void test_reminders_once(void **state)
{
    struct fx *f = *state;
    struct sm_err e = {0};
    struct sub_plan plan;
    int64_t o1 = add_order(f, "new", "approved", 0);
    issue(f, o1, T_2026_12_01, &plan);
    time_t end = (time_t)plan.ends_at;
    struct sub_sweep_stats st;
    time_t steps[] = {end - 100 * DAY, end + 1 - 90 * DAY, end - 89 * DAY,
                      end - 44 * DAY, /* 60 and 45 both due: 45 mailed, 60 passed over */
                      end - 44 * DAY,  end - 29 * DAY,     end - 10 * DAY,
                      end - 10 * DAY};
    int want_total[] = {0, 1, 1, 2, 2, 3, 4, 4};
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        clock_set(steps[i]);
        if (subscription_sweep(f->db, NULL, &st, &e) != 0)
            fail_msg("sweep: %s", e.detail);
        assert_int_equal(mails(f->db, "subscription_reminder"), want_total[i]);
    }
    assert_int_equal(notices(f->db, "renewal", "90", 1), 1);
    assert_int_equal(notices(f->db, "renewal", "60", 0), 1);
    assert_int_equal(notices(f->db, "renewal", "45", 1), 1);
    assert_int_equal(notices(f->db, "renewal", "30", 1), 1);
    assert_int_equal(notices(f->db, "renewal", "15", 1), 1);
    /* the certificate (200 days) ends inside the subscription: one continuation notice */
    assert_int_equal(mails(f->db, "subscription_continue"), 1);
    /* R-REN-4: at the end, cancelled with one notice; again: nothing */
    clock_set(end + 1);
    assert_int_equal(subscription_sweep(f->db, NULL, &st, &e), 0);
    assert_int_equal(st.cancelled, 1);
    assert_int_equal(subscription_sweep(f->db, NULL, &st, &e), 0);
    assert_int_equal(st.cancelled, 0);
    assert_int_equal(mails(f->db, "subscription_cancelled"), 1);
    assert_int_equal(mails(f->db, "subscription_reminder"), 4);
}

struct sweeper {
    const char *url, *dir;
    int rc;
    struct sub_sweep_stats st;
};

static void *sweep_thread(void *arg)
{
    struct sweeper *s = arg;
    struct db *db = NULL;
    struct sm_err e = {0};
    s->rc = db_open(s->url, s->dir, &db, &e);
    for (int i = 0; s->rc == 0 && i < 5; i++) {
        struct sub_sweep_stats st;
        s->rc = subscription_sweep(db, NULL, &st, &e);
        s->st.reminders += st.reminders;
        s->st.continue_notices += st.continue_notices;
    }
    db_close(db);
    return NULL;
}

/* R-SCL-1: two connections sweeping at once (as two servers would) send each notice once. */
static void test_two_sweepers(void **state)
{
    struct fx *f = *state;
    struct sub_plan plan;
    int64_t o1 = add_order(f, "new", "approved", 0);
    issue(f, o1, T_2026_12_01, &plan);
    clock_set((time_t)plan.ends_at - 20 * DAY); /* the cert ended: continue + 30 due */
    struct sweeper a = {f->url, f->dir, 0, {0}}, b = {f->url, f->dir, 0, {0}};
    pthread_t ta, tb;
    assert_int_equal(pthread_create(&ta, NULL, sweep_thread, &a), 0);
    assert_int_equal(pthread_create(&tb, NULL, sweep_thread, &b), 0);
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    assert_int_equal(a.rc, 0);
    assert_int_equal(b.rc, 0);
    assert_int_equal(a.st.reminders + b.st.reminders, 1);
    assert_int_equal(mails(f->db, "subscription_reminder"), 1);
    assert_int_equal(mails(f->db, "subscription_continue"), 1);
    assert_int_equal(notices(f->db, "renewal", "30", 1), 1);
    assert_int_equal(notices(f->db, "renewal", "90", 0), 1);
}

/* R-REN-6 R-REN-2 R-REN-3: the refusals of continued issuance and renewal name their
 * field and change nothing. */
static void test_refusals(void **state)
{
    struct fx *f = *state;
    struct sm_err e = {0};
    struct sub_plan plan;
    int64_t o1 = add_order(f, "new", "approved", 0);
    int64_t c1 = issue(f, o1, T_2026_12_01, &plan);
    struct certs_row *c = NULL;
    assert_int_equal(certs_get_id(f->db, c1, &c, &e), 0);
    struct config *cfg = config_defaults(f->dir);
    struct order_env env = {.db = f->db};
    int64_t org = f->org_id;
    struct order_actor who = {1, {0, &org, 1}}, other = {2, {0, &(int64_t){99}, 1}};
    int64_t id = 0;
    /* too early: the window opens 30 days before the certificate ends */
    clock_set(T_2026_12_01 + 10 * DAY);
    assert_int_equal(subscription_continue(&env, &who, cfg, c->serial, NULL, &id, &e),
                     -SM_E_POLICY);
    assert_string_equal(e.field, "continue.window");
    /* another organization: not found */
    sm_err_clear(&e);
    assert_int_equal(subscription_continue(&env, &other, cfg, c->serial, NULL, &id, &e),
                     -SM_E_NOTFOUND);
    /* renewal before its window; a forbidden change */
    assert_int_equal(subscription_renew(&env, &who, c->serial, NULL, &id, &e), -SM_E_POLICY);
    assert_string_equal(e.field, "renewal.window");
    clock_set((time_t)plan.ends_at - 30 * DAY);
    struct sub_renewal r = {0};
    r.org_name_ja = "株式会社ベツ";
    sm_err_clear(&e);
    assert_int_equal(subscription_renew(&env, &who, c->serial, &r, &id, &e), -SM_E_POLICY);
    assert_string_equal(e.field, "renewal.forbidden");
    assert_string_equal(e.detail, "org.name_ja");
    r.org_name_ja = NULL;
    r.cn = "other.sub-test.co.jp";
    assert_int_equal(subscription_renew(&env, &who, c->serial, &r, &id, &e), -SM_E_POLICY);
    assert_string_equal(e.detail, "cn");
    r.cn = NULL;
    r.nnames = f->p.sans_max + 1;
    assert_int_equal(subscription_renew(&env, &who, c->serial, &r, &id, &e), -SM_E_POLICY);
    assert_string_equal(e.detail, "names");
    struct subscription_row s = {0};
    assert_int_equal(subscriptions_get_by_cert(f->db, c1, &s, &e), 0);
    assert_int_equal(s.renewal_order_id, 0);
    /* the same postal code is no change; the renewal opens once and locks the certificate */
    r.nnames = 0;
    r.org_postal = "100-0001";
    assert_int_equal(subscription_renew(&env, &who, c->serial, &r, &id, &e), 0);
    assert_true(id > 0);
    int64_t again = 0;
    assert_int_equal(subscription_renew(&env, &who, c->serial, &r, &again, &e), 0);
    assert_int_equal(again, id);
    assert_int_equal(subscription_cert_locked(f->db, c1, &e), 1); /* R-REN-5 */
    /* R-REN-5: the customer cannot revoke it while the renewal is open, and nothing changes
     * (keyCompromise and officers are exempt in ra/revoke.c's renewal_lock) */
    struct revoke_req rq = {.actor = "user:1",
                            .source = "customer",
                            .serial = c->serial,
                            .reason = REVOKE_CESSATION_OF_OPERATION,
                            .scope = &who.scope};
    struct revoke_result rr;
    /* the first certificate ended before the renewal window: let it run to the end of the
     * subscription, so only the lock stands in the way */
    struct db_val ext[2] = {DBV_INT((int64_t)clock_now() + 86400 * 30), DBV_INT(c1)};
    assert_true(db_run(f->db, &st_extend, ext, 2, NULL, NULL, &e) >= 0);
    assert_int_equal(revoke_cert(f->db, &rq, &rr, &e), -SM_E_CONFLICT);
    assert_string_equal(e.field, "renewal");
    struct certs_row *still = NULL;
    assert_int_equal(certs_get_id(f->db, c1, &still, &e), 0);
    assert_string_equal(still->state, "issued");
    certs_row_free(still);
    struct order_row *o = NULL;
    static const struct org_scope all = {1, NULL, 0};
    assert_int_equal(orders_get(f->db, id, &all, &o, &e), 0);
    assert_string_equal(o->kind, "renewal");
    assert_string_equal(o->state, "awaiting_payment");
    assert_int_equal(o->predecessor_cert_id, c1);
    assert_string_equal(o->cn, "www.sub-test.co.jp");
    assert_int_equal(o->amount, f->p.list_price);
    assert_true(o->invoice_no[0] != '\0');
    order_row_free(o);
    certs_row_free(c);
    config_free(cfg);
}

/* The first order of a subscription, issued at T_2026_12_01 with its one name validated by
 * DNS that day; *serial gets the certificate's serial (48 bytes). */
static int64_t first_cert(struct fx *f, struct sub_plan *plan, char *serial)
{
    struct sm_err e = {0};
    int64_t o1 = add_order(f, "new", "approved", 0);
    static const char *const names[] = {"www.sub-test.co.jp"}, *const methods[] = {"dns"};
    assert_int_equal(db_begin(f->db, &e), 0);
    assert_int_equal(order_domains_replace(f->db, o1, names, methods, 1, &e), 0);
    assert_int_equal(
        order_domains_set_result(f->db, o1, names[0], "validated", T_2026_12_01, "2.1.0", "{}", &e),
        0);
    assert_int_equal(db_commit(f->db, &e), 0);
    int64_t c1 = issue(f, o1, T_2026_12_01, plan);
    struct certs_row *c = NULL;
    assert_int_equal(certs_get_id(f->db, c1, &c, &e), 0);
    snprintf(serial, 48, "%s", c->serial);
    certs_row_free(c);
    return c1;
}

/* R-APP-1 renewal, R-REN-2, R-REN-3, R-REN-5: what the renewal wizard and the order API
 * start from (the previous order to prefill from), the window, what a renewal must keep
 * (refused naming the item, so the answer can point to a new application), and the link
 * that locks the certificate while the renewal is under way. */
static void test_renewal_source_and_keeps(void **state)
{
    struct fx *f = *state;
    struct sm_err e = {0};
    struct sub_plan plan;
    char serial[48];
    int64_t c1 = first_cert(f, &plan, serial);
    int64_t org = f->org_id;
    struct order_actor who = {1, {0, &org, 1}}, other = {2, {0, &(int64_t){99}, 1}};
    struct sub_source src;
    time_t end = (time_t)plan.ends_at;
    /* R-REN-2: the renewal before its window names the date it opens; a replacing new
     * application has no window */
    assert_int_equal(subscription_source(f->db, &who, serial, 0, end - 61 * DAY, &src, &e),
                     -SM_E_POLICY);
    assert_string_equal(e.field, "renewal.window");
    assert_int_equal(subscription_source(f->db, &who, serial, 1, end - 200 * DAY, &src, &e), 0);
    sub_source_clear(&src);
    assert_int_equal(subscription_source(f->db, &other, serial, 0, end - 30 * DAY, &src, &e),
                     -SM_E_NOTFOUND);
    /* in the window: the previous order, its product */
    assert_int_equal(subscription_source(f->db, &who, serial, 0, end - 30 * DAY, &src, &e), 0);
    assert_int_equal(src.cert_id, c1);
    assert_int_equal(src.org_id, f->org_id);
    assert_string_equal(src.prev->cn, "www.sub-test.co.jp");
    assert_string_equal(src.prev_product.code, "dv-1y");
    /* R-REN-3: the same content is kept; each forbidden change is named */
    const char *same = src.prev->applicant;
    assert_int_equal(subscription_renewal_keeps(&src, &f->p, "www.sub-test.co.jp", same, &e), 0);
    assert_int_equal(subscription_renewal_keeps(&src, &f->p, "WWW.sub-test.co.jp", same, &e), 0);
    assert_int_equal(subscription_renewal_keeps(&src, &f->p, "shop.sub-test.co.jp", same, &e),
                     -SM_E_POLICY);
    assert_string_equal(e.field, "renewal.forbidden");
    assert_string_equal(e.detail, "cn");
    assert_int_equal(subscription_renewal_keeps(
                         &src, &f->p, "www.sub-test.co.jp",
                         "{\"org\":{\"name_ja\":\"株式会社ベツ\",\"postal\":\"100-0001\"}}", &e),
                     -SM_E_POLICY);
    assert_string_equal(e.detail, "org.name_ja");
    assert_int_equal(subscription_renewal_keeps(
                         &src, &f->p, "www.sub-test.co.jp",
                         "{\"org\":{\"name_ja\":\"株式会社サブ\",\"postal\":\"100-0002\"}}", &e),
                     -SM_E_POLICY);
    assert_string_equal(e.detail, "org.postal");
    assert_int_equal(
        subscription_renewal_keeps(&src, &f->p, "www.sub-test.co.jp",
                                   "{\"org\":{\"name_ja\":\"株式会社サブ\",\"postal\":\"100-0001\","
                                   "\"city\":\"港区\"}}",
                                   &e),
        -SM_E_POLICY);
    assert_string_equal(e.detail, "org.address");
    struct product_row ov;
    assert_int_equal(products_get_by_code(f->db, "ov-1y", &ov, &e), 0);
    assert_int_equal(subscription_renewal_keeps(&src, &ov, "www.sub-test.co.jp", same, &e),
                     -SM_E_POLICY);
    assert_string_equal(e.detail, "product");
    struct product_row more = f->p;
    more.sans_max = 5;
    assert_int_equal(subscription_renewal_keeps(&src, &more, "www.sub-test.co.jp", same, &e),
                     -SM_E_POLICY);
    assert_string_equal(e.detail, "names");
    /* R-REN-5: linked as the renewal in progress, the certificate is locked; the wizard is
     * sent to that order, and a replacing application is refused meanwhile */
    int64_t ren = add_order(f, "renewal", "awaiting_payment", c1);
    assert_int_equal(db_begin(f->db, &e), 0);
    assert_int_equal(subscription_link_tx(f->db, &src, ren, "renewal", end - 30 * DAY, &e), 0);
    assert_int_equal(db_commit(f->db, &e), 0);
    sub_source_clear(&src);
    assert_int_equal(subscription_cert_locked(f->db, c1, &e), 1);
    assert_int_equal(subscription_source(f->db, &who, serial, 0, end - 29 * DAY, &src, &e), 0);
    assert_int_equal(src.pending_order, ren);
    assert_null(src.prev);
    assert_int_equal(subscription_source(f->db, &who, serial, 1, end - 29 * DAY, &src, &e),
                     -SM_E_CONFLICT);
    assert_string_equal(e.field, "renewal.pending");
}

/* R-REN-3 (issue 9 item 2): a new application made instead of a renewal (kind new, linked
 * to the certificate it replaces) gets the days left of the old subscription when it is
 * issued, within the policy maximum of the day (here 100 of 215 days), so no paid
 * validity is lost; the old subscription is closed. */
static void test_replacement_carries_days(void **state)
{
    struct fx *f = *state;
    struct sm_err e = {0};
    struct sub_plan plan;
    char serial[48];
    int64_t c1 = first_cert(f, &plan, serial);
    time_t at = (time_t)plan.ends_at + 1 - 215 * DAY; /* 2027-04-30: cap 100 days */
    int64_t o2 = add_order(f, "new", "approved", c1);
    struct sub_plan p2;
    int64_t c2 = issue(f, o2, at, &p2);
    assert_int_equal(p2.kind, 2);
    assert_int_equal(p2.carried_days, 100);
    assert_int_equal(p2.ends_at, sub_term_end(at, 12) + 100 * DAY);
    struct subscription_row old = {0}, s2 = {0};
    assert_int_equal(subscriptions_get_by_cert(f->db, c1, &old, &e), 0);
    assert_string_equal(old.state, "renewed");
    assert_int_equal(subscriptions_get_by_cert(f->db, c2, &s2, &e), 0);
    assert_int_equal(s2.predecessor_id, old.id);
    assert_int_equal(s2.carried_days, 100);
    /* a new application linked to nothing opens a plain subscription */
    int64_t o3 = add_order(f, "new", "approved", 0);
    struct sub_plan p3;
    issue(f, o3, at, &p3);
    assert_int_equal(p3.kind, 0);
    assert_int_equal(p3.carried_days, 0);
}

/* R-VAL-5: a renewal with the previous content reuses the organization's phone
 * verification while it is younger than the identity reuse period (398 days), and not
 * after. */
static void test_renewal_phone_reuse(void **state)
{
    struct fx *f = *state;
    struct sm_err e = {0};
    struct sub_plan plan;
    char serial[48];
    first_cert(f, &plan, serial);
    struct vetting_check_row ph;
    memset(&ph, 0, sizeof ph);
    ph.org_id = f->org_id;
    ph.order_id = 1;
    snprintf(ph.kind, sizeof ph.kind, "phone");
    snprintf(ph.result, sizeof ph.result, "ok");
    snprintf(ph.source, sizeof ph.source, "NTT 番号案内");
    snprintf(ph.phone, sizeof ph.phone, "03-1111-2222");
    snprintf(ph.phone_source, sizeof ph.phone_source, "NTT 番号案内");
    ph.officer_id = 1;
    ph.at = T_2026_12_01;
    assert_int_equal(db_begin(f->db, &e), 0);
    assert_int_equal(vetting_check_insert(f->db, &ph, NULL, &e), 0);
    assert_int_equal(db_commit(f->db, &e), 0);
    struct config *cfg = config_defaults(f->dir);
    struct order_env env = {.db = f->db};
    int64_t org = f->org_id;
    struct order_actor who = {1, {0, &org, 1}};
    clock_set((time_t)plan.ends_at - 30 * DAY);
    int64_t id = 0;
    assert_int_equal(subscription_renew(&env, &who, serial, NULL, &id, &e), 0);
    struct order_row *ren = NULL;
    static const struct org_scope all = {1, NULL, 0};
    assert_int_equal(orders_get(f->db, id, &all, &ren, &e), 0);
    assert_string_equal(ren->kind, "renewal");
    struct vetting_check_row found;
    assert_int_equal(review_phone_reusable(&env, ren, clock_now(), &found, &e), 1);
    assert_int_equal(found.at, T_2026_12_01);
    assert_int_equal(review_phone_reusable(&env, ren, T_2026_12_01 + 398 * DAY, NULL, &e), 1);
    assert_int_equal(review_phone_reusable(&env, ren, T_2026_12_01 + 398 * DAY + 1, NULL, &e), 0);
    order_row_free(ren);
    config_free(cfg);
}

/* Issue 9 item 2 (mis-issuance guard, R-VAL-2): a renewal whose name was validated longer
 * ago than the reuse period must validate it again: its domain starts pending, and a
 * validation reused by a renewal that goes stale before signing is caught right before
 * signing (validate_evidence_current, which ra/fulfil consults). */
static void test_renewal_redoes_stale_dcv(void **state)
{
    struct fx *f = *state;
    struct sm_err e = {0};
    struct sub_plan plan;
    char serial[48];
    first_cert(f, &plan, serial);
    struct order_env env = {.db = f->db};
    int64_t org = f->org_id;
    struct order_actor who = {1, {0, &org, 1}};
    /* 2027-11: the validation of 2026-12-01 is past the 100-day reuse period of 2027 */
    clock_set((time_t)plan.ends_at - 30 * DAY);
    int64_t id = 0;
    assert_int_equal(subscription_renew(&env, &who, serial, NULL, &id, &e), 0);
    struct order_domain_row *d = NULL;
    size_t n = 0;
    assert_int_equal(order_domains_list(f->db, id, &d, &n, &e), 0);
    assert_int_equal(n, 1);
    assert_string_equal(d[0].state, "pending");
    order_domain_rows_free(d, n);
    /* the renewal's name validated now, then the clock passes its reuse period before
     * signing: the evidence is refused as stale */
    time_t now = clock_now();
    assert_int_equal(db_begin(f->db, &e), 0);
    assert_int_equal(order_domains_set_result(f->db, id, "www.sub-test.co.jp", "validated", now,
                                              "2.1.0", "{}", &e),
                     0);
    assert_int_equal(db_commit(f->db, &e), 0);
    struct validate_stale st[2];
    size_t ns = 9;
    assert_int_equal(validate_evidence_current(&env, id, now + 10 * DAY, st, 2, &ns, &e), 0);
    assert_int_equal(ns, 0);
    assert_int_equal(validate_evidence_current(&env, id, now + 101 * DAY, st, 2, &ns, &e), 0);
    assert_int_equal(ns, 1);
    assert_string_equal(st[0].why, "dcv.stale");
}

/* R-MNG-5: the notification addresses change as an operation of their own: checked (the
 * field named, nothing changed), written on every order of the subscription (so the
 * reminders go to them), audited once; the same addresses again change nothing. */
static void test_notify_addresses(void **state)
{
    struct fx *f = *state;
    struct sm_err e = {0};
    struct sub_plan plan;
    char serial[48];
    first_cert(f, &plan, serial);
    struct subscription_row s = {0};
    struct certs_row *c = NULL;
    assert_int_equal(certs_get(f->db, serial, &c, &e), 0);
    int64_t o1 = c->order_id;
    certs_row_free(c);
    assert_int_equal(subscriptions_get_by_order(f->db, o1, &s, NULL, &e), 0);
    int64_t o2 = add_order(f, "new", "approved", 0); /* a continuation of it */
    assert_int_equal(db_begin(f->db, &e), 0);
    assert_int_equal(subscription_certs_insert(f->db, s.id, o2, 0, "continued", T_2027_06_01, &e),
                     0);
    assert_int_equal(db_commit(f->db, &e), 0);
    struct order_env env = {.db = f->db};
    int64_t org = f->org_id;
    struct order_actor who = {1, {0, &org, 1}}, other = {2, {0, &(int64_t){99}, 1}};
    const char *bad[3] = {"ops@sub-test.co.jp", "not an address", NULL};
    int changed = 9;
    assert_int_equal(order_set_notify_emails(&env, &who, o1, bad, &changed, &e), -SM_E_INVALID);
    assert_string_equal(e.field, "notify_email2");
    const char *none[3] = {"", NULL, NULL};
    assert_int_equal(order_set_notify_emails(&env, &who, o1, none, &changed, &e), -SM_E_INVALID);
    assert_string_equal(e.field, "notify_email1");
    const char *good[3] = {"ops@sub-test.co.jp", "OPS@sub-test.co.jp", "sec@sub-test.co.jp"};
    assert_int_equal(order_set_notify_emails(&env, &other, o1, good, &changed, &e), -SM_E_NOTFOUND);
    struct order_row *o = NULL;
    static const struct org_scope all = {1, NULL, 0};
    assert_int_equal(orders_get(f->db, o1, &all, &o, &e), 0);
    assert_string_equal(o->notify_email[0], "cert@sub-test.co.jp");
    order_row_free(o);
    assert_int_equal(order_set_notify_emails(&env, &who, o1, good, &changed, &e), 0);
    assert_int_equal(changed, 1);
    int64_t ids[2] = {o1, o2};
    for (int i = 0; i < 2; i++) {
        assert_int_equal(orders_get(f->db, ids[i], &all, &o, &e), 0);
        assert_string_equal(o->notify_email[0], "ops@sub-test.co.jp");
        assert_string_equal(o->notify_email[1], "sec@sub-test.co.jp"); /* the repeat dropped */
        assert_null(o->notify_email[2]);
        order_row_free(o);
    }
    assert_int_equal(order_set_notify_emails(&env, &who, o1, good, &changed, &e), 0);
    assert_int_equal(changed, 0);
    assert_int_equal(dbfx_count(f->db, &st_audits, NULL, 0), 1);
    /* the reminders go to the new addresses */
    clock_set((time_t)plan.ends_at - 80 * DAY);
    struct sub_sweep_stats sw;
    assert_int_equal(subscription_sweep(f->db, NULL, &sw, &e), 0);
    assert_int_equal(dbfx_count(f->db, &st_rcpt_new, NULL, 0), 1);
    assert_int_equal(dbfx_count(f->db, &st_rcpt_old, NULL, 0), 0);
}

int main(void)
{
    const struct CMUnitTest pure[] = {
        cmocka_unit_test(test_cap_by_date),
        cmocka_unit_test(test_window_and_carry),
        cmocka_unit_test(test_thresholds),
    };
    const struct CMUnitTest t[] = {
        cmocka_unit_test_setup_teardown(test_plan_and_record, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_reminders_once, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_two_sweepers, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_refusals, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_renewal_source_and_keeps, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_replacement_carries_days, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_renewal_phone_reuse, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_renewal_redoes_stale_dcv, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_notify_addresses, fx_setup, fx_teardown),
    };
    int failed = cmocka_run_group_tests_name("subscription_rules", pure, NULL, NULL);
    return failed + dbfx_run_both("subscription", t, sizeof t / sizeof t[0], NULL, 0);
}
