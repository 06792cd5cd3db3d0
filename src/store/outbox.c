/* SPDX-License-Identifier: MIT */
/* The outbox table (migration 0005_outbox.sql): enqueue inside the caller's transaction,
 * claim due mails with a lease (conditional UPDATE per row), mark sent or failed with
 * back-off, list and count. See outbox.h. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/asset.h"
#include "core/clock.h"
#include "core/failalloc.h"
#include "core/text.h"
#include "store/db.h"
#include "store/outbox.h"

#define MAX_ERROR 1000 /* bytes of last_error kept */

#define COLS                                                                                       \
    "id, created_at, to_addr, lang, tmpl, vars, order_id, attach_name, attach_type, attach, "      \
    "state, attempts, next_attempt_at, last_error, sent_at, message_id, claimed_by, "              \
    "claimed_until"
#define NCOLS 18

static const struct db_stmt st_insert = {
    "outbox.insert",
    "INSERT INTO outbox (created_at, to_addr, lang, tmpl, vars, order_id, attach_name, "
    "attach_type, attach, state, attempts, next_attempt_at, claimed_until) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'queued', 0, $1, 0) RETURNING id",
    NULL, NULL};
static const struct db_stmt st_due = {
    "outbox.due",
    "SELECT id FROM outbox WHERE state = 'queued' AND next_attempt_at <= $1 "
    "AND claimed_until < $1 ORDER BY next_attempt_at, id LIMIT $2",
    NULL, NULL};
static const struct db_stmt st_claim = {
    "outbox.claim",
    "UPDATE outbox SET claimed_by = $1, claimed_until = $2 WHERE id = $3 AND state = 'queued' "
    "AND next_attempt_at <= $4 AND claimed_until < $4 RETURNING " COLS,
    NULL, NULL};
static const struct db_stmt st_sent = {
    "outbox.sent",
    "UPDATE outbox SET state = 'sent', sent_at = $1, message_id = $2, claimed_until = 0, "
    "last_error = NULL WHERE id = $3 AND claimed_by = $4 AND claimed_until > 0 "
    "AND state = 'queued'",
    NULL, NULL};
static const struct db_stmt st_attempts = {
    "outbox.attempts",
    "SELECT attempts FROM outbox WHERE id = $1 AND claimed_by = $2 AND claimed_until > 0 "
    "AND state = 'queued'",
    NULL, NULL};
static const struct db_stmt st_failed = {
    "outbox.failed",
    "UPDATE outbox SET state = $1, attempts = $2, next_attempt_at = $3, last_error = $4, "
    "claimed_until = 0 WHERE id = $5 AND claimed_by = $6 AND claimed_until > 0 "
    "AND state = 'queued' AND attempts = $7",
    NULL, NULL};
static const struct db_stmt st_by_order = {
    "outbox.by_order", "SELECT " COLS " FROM outbox WHERE order_id = $1 ORDER BY id LIMIT $2", NULL,
    NULL};
static const struct db_stmt st_list_all = {
    "outbox.list", "SELECT " COLS " FROM outbox ORDER BY id DESC LIMIT $1", NULL, NULL};
static const struct db_stmt st_list_state = {
    "outbox.list_state", "SELECT " COLS " FROM outbox WHERE state = $1 ORDER BY id DESC LIMIT $2",
    NULL, NULL};
static const struct db_stmt st_count = {"outbox.count",
                                        "SELECT COUNT(*) FROM outbox WHERE state = $1", NULL, NULL};

/* ---- validation ---- */

int outbox_name_ok(const char *s)
{
    if (s == NULL || *s == '\0' || strlen(s) > 64)
        return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_' || *s == '-'))
            return 0;
    return 1;
}

/* Printable text without CR, LF, quotes or backslashes (goes into a MIME header). */
static int header_word_ok(const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n == 0 || n > max)
        return 0;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c < 0x20 || c == 0x7f || c == '"' || c == '\\')
            return 0;
    }
    return 1;
}

/* The first {{name}} of template a that vars lacks, copied into key; 0 = none.
 * Malformed {{var}} markers are left to the renderer (ra/mail), which refuses them. */
static int missing_var(const struct asset *a, json_t *vars, char *key, size_t n)
{
    const char *t = (const char *)a->data, *end = t + a->len;
    for (const char *p = t; p + 1 < end; p++) {
        if (p[0] != '{' || p[1] != '{')
            continue;
        const char *q = p + 2;
        while (q + 1 < end && !(q[0] == '}' && q[1] == '}') && *q != '\n')
            q++;
        if (q + 1 >= end || *q == '\n')
            return 0;
        const char *s = p + 2, *f = q;
        while (s < f && *s == ' ')
            s++;
        while (f > s && f[-1] == ' ')
            f--;
        if (f > s && (size_t)(f - s) < n) {
            memcpy(key, s, (size_t)(f - s));
            key[f - s] = '\0';
            if (json_object_get(vars, key) == NULL)
                return 1;
        }
        p = q + 1;
    }
    return 0;
}

/* Checks vars (a JSON object of strings and numbers with every variable the template a
 * uses) and returns its compact form. */
static int vars_normalize(const char *vars_json, const struct asset *a, char **out,
                          struct sm_err *e)
{
    *out = NULL;
    json_error_t je;
    json_t *v = json_loads(vars_json ? vars_json : "{}", JSON_REJECT_DUPLICATES, &je);
    if (v == NULL || !json_is_object(v)) {
        json_decref(v);
        return sm_err_set(e, SM_E_INVALID, "vars_json", "vars_json is not a JSON object");
    }
    const char *k;
    json_t *x;
    json_object_foreach(v, k, x)
    {
        if (!json_is_string(x) && !json_is_number(x)) {
            int rc = sm_err_set(e, SM_E_INVALID, "vars_json",
                                "template variable %.64s is not a string or number", k);
            json_decref(v);
            return rc;
        }
    }
    char key[80];
    if (missing_var(a, v, key, sizeof key)) {
        json_decref(v);
        return sm_err_set(e, SM_E_INVALID, "vars_json", "mail template %s needs variable %s",
                          a->path, key);
    }
    char *s = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(v);
    if (s == NULL)
        return sm_err_set(e, SM_E_NOMEM, NULL, "out of memory");
    if (strlen(s) > OUTBOX_MAX_VARS) {
        free(s);
        return sm_err_set(e, SM_E_TOO_LARGE, "vars_json", "template variables too large");
    }
    *out = s;
    return 0;
}

int outbox_enqueue(struct db *db, const struct outbox_mail *m, int64_t *id, struct sm_err *e)
{
    if (id)
        *id = 0;
    if (!db_in_transaction(db))
        return sm_err_set(e, SM_E_INTERNAL, "outbox", "outbox_enqueue outside a transaction");
    if (!text_email_ok(m->to, TEXT_EMAIL_LOCAL_DOMAIN))
        return sm_err_set(e, SM_E_INVALID, "to", "not a valid mail address");
    if (m->lang == NULL || (strcmp(m->lang, "ja") != 0 && strcmp(m->lang, "en") != 0))
        return sm_err_set(e, SM_E_INVALID, "lang", "language must be ja or en");
    if (!outbox_name_ok(m->tmpl))
        return sm_err_set(e, SM_E_INVALID, "tmpl", "template name must be [a-z0-9_-]{1,64}");
    char path[128];
    snprintf(path, sizeof path, "web/mail/%s.%s.txt", m->tmpl, m->lang);
    const struct asset *a = asset_get(path);
    if (a == NULL)
        return sm_err_set(e, SM_E_NOTFOUND, "tmpl", "no mail template %s", path);
    if (m->order_id < 0)
        return sm_err_set(e, SM_E_INVALID, "order_id", "negative order id");
    if (m->attach_name != NULL) {
        if (!header_word_ok(m->attach_name, 200))
            return sm_err_set(e, SM_E_INVALID, "attach_name", "bad attachment file name");
        if (m->attach_type == NULL || !header_word_ok(m->attach_type, 100) ||
            strchr(m->attach_type, '/') == NULL || strchr(m->attach_type, ' ') != NULL ||
            strchr(m->attach_type, ';') != NULL)
            return sm_err_set(e, SM_E_INVALID, "attach_type", "bad attachment media type");
        if (m->attach == NULL && m->attach_len > 0)
            return sm_err_set(e, SM_E_INVALID, "attach", "attachment without data");
        if (m->attach_len > OUTBOX_MAX_ATTACH)
            return sm_err_set(e, SM_E_TOO_LARGE, "attach", "attachment larger than %d bytes",
                              OUTBOX_MAX_ATTACH);
    }
    char *vars = NULL;
    int rc = vars_normalize(m->vars_json, a, &vars, e);
    if (rc < 0)
        return rc;
    static const unsigned char empty[1] = {0};
    struct db_val p[9] = {
        DBV_INT(clock_now()),
        DBV_TEXT(m->to),
        DBV_TEXT(m->lang),
        DBV_TEXT(m->tmpl),
        DBV_TEXT(vars),
        dbv_int_or_null(m->order_id > 0 ? m->order_id : 0),
        m->attach_name ? DBV_TEXT(m->attach_name) : DBV_NULL,
        m->attach_name ? DBV_TEXT(m->attach_type) : DBV_NULL,
        m->attach_name ? DBV_BLOB(m->attach ? m->attach : empty, m->attach_len) : DBV_NULL,
    };
    rc = db_returning_id(db, &st_insert, p, 9, id, e);
    free(vars);
    return rc;
}

/* ---- rows ---- */

static void clear(void *row)
{
    struct outbox_row *r = row;
    free(r->to);
    free(r->lang);
    free(r->tmpl);
    free(r->vars_json);
    free(r->attach_name);
    free(r->attach_type);
    free(r->attach);
    free(r->state);
    free(r->last_error);
    free(r->message_id);
    free(r->claimed_by);
    memset(r, 0, sizeof *r);
}

void outbox_rows_free(struct outbox_row *rows, size_t n)
{
    for (size_t i = 0; rows != NULL && i < n; i++)
        clear(&rows[i]);
    free(rows);
}

void outbox_row_free(struct outbox_row *r) { outbox_rows_free(r, r ? 1 : 0); }

static int fill(void *row, const struct db_val *c)
{
    struct outbox_row *r = row;
    int bad = 0;
    r->id = db_col_int(&c[0]);
    r->created_at = db_col_int(&c[1]);
    bad |= db_col_dup(&r->to, &c[2]);
    bad |= db_col_dup(&r->lang, &c[3]);
    bad |= db_col_dup(&r->tmpl, &c[4]);
    bad |= db_col_dup(&r->vars_json, &c[5]);
    r->order_id = db_col_int(&c[6]);
    bad |= db_col_dup(&r->attach_name, &c[7]);
    bad |= db_col_dup(&r->attach_type, &c[8]);
    if (c[9].t == DB_BLOB || c[9].t == DB_TEXT) {
        r->attach_len = c[9].n;
        r->attach = sm_malloc(c[9].n ? c[9].n : 1);
        if (r->attach == NULL)
            bad = -1;
        else if (c[9].n > 0)
            memcpy(r->attach, c[9].p, c[9].n);
    }
    bad |= db_col_dup(&r->state, &c[10]);
    r->attempts = db_col_int(&c[11]);
    r->next_attempt_at = db_col_int(&c[12]);
    bad |= db_col_dup(&r->last_error, &c[13]);
    r->sent_at = db_col_int(&c[14]);
    bad |= db_col_dup(&r->message_id, &c[15]);
    bad |= db_col_dup(&r->claimed_by, &c[16]);
    r->claimed_until = db_col_int(&c[17]);
    if (bad)
        clear(r);
    return bad ? -1 : 0;
}

static const struct db_rowtype outbox_rowtype = {sizeof(struct outbox_row), NCOLS, fill, clear,
                                                 "mail"};

/* ---- worker side ---- */

int outbox_claim(struct db *db, const char *node, int64_t lease_seconds, size_t max,
                 struct outbox_row **rows, size_t *n, struct sm_err *e)
{
    *rows = NULL;
    *n = 0;
    if (node == NULL || *node == '\0' || lease_seconds < 1)
        return sm_err_set(e, SM_E_INVALID, "node", "claim needs a node name and a lease");
    if (max == 0)
        return 0;
    if (max > 1000)
        max = 1000;
    int64_t now = clock_now();
    int64_t *ids = NULL;
    size_t nids = 0;
    struct db_val p[2] = {DBV_INT(now), DBV_INT((int64_t)max)};
    int rc = db_collect(db, &st_due, p, 2, &db_row_int, &ids, &nids, e);
    struct outbox_row *v = NULL;
    size_t k = 0;
    if (rc == 0 && nids > 0 && (v = sm_calloc(nids, sizeof *v)) == NULL)
        rc = sm_err_set(e, SM_E_NOMEM, NULL, "out of memory");
    for (size_t i = 0; i < nids && rc == 0; i++) {
        struct db_val q[4] = {DBV_TEXT(node), DBV_INT(now + lease_seconds), DBV_INT(ids[i]),
                              DBV_INT(now)};
        /* Not found: another node took it between the SELECT and this UPDATE. */
        rc = db_get_one(db, &st_claim, q, 4, &outbox_rowtype, &v[k], e);
        if (rc == 0)
            k++;
        else if (rc == -SM_E_NOTFOUND)
            rc = 0;
    }
    free(ids);
    if (rc < 0 || k == 0) {
        /* Rows already claimed stay leased until the lease runs out; nothing is lost. */
        outbox_rows_free(v, k);
        return rc;
    }
    *rows = v;
    *n = k;
    return 0;
}

int outbox_mark_sent(struct db *db, int64_t id, const char *node, const char *message_id,
                     struct sm_err *e)
{
    struct db_val p[4] = {DBV_INT(clock_now()), dbv_text_or_null(message_id), DBV_INT(id),
                          DBV_TEXT(node)};
    int rc = db_run(db, &st_sent, p, 4, NULL, NULL, e);
    if (rc == 0 && db_changes(db) != 1)
        rc = sm_err_set(e, SM_E_CONFLICT, "outbox", "mail %lld is not held by %s", (long long)id,
                        node);
    return rc;
}

int64_t outbox_backoff(int64_t attempts)
{
    if (attempts < 1)
        attempts = 1;
    int64_t minutes = attempts > 7 ? 60 : ((int64_t)1 << (attempts - 1));
    return (minutes > 60 ? 60 : minutes) * 60;
}

/* Length of at most max bytes of s, not cutting a UTF-8 sequence. */
static size_t utf8_cut(const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n <= max)
        return n;
    while (max > 0 && ((unsigned char)s[max] & 0xC0) == 0x80)
        max--;
    return max;
}

int outbox_mark_failed(struct db *db, int64_t id, const char *node, const char *error,
                       int64_t max_attempts, int *dead, struct sm_err *e)
{
    if (dead)
        *dead = 0;
    int64_t attempts = -1;
    struct db_val p[2] = {DBV_INT(id), DBV_TEXT(node)};
    int rc = db_get_one(db, &st_attempts, p, 2, &db_row_int, &attempts, e);
    if (rc < 0 && rc != -SM_E_NOTFOUND)
        return rc;
    if (rc == -SM_E_NOTFOUND || attempts < 0)
        return sm_err_set(e, SM_E_CONFLICT, "outbox", "mail %lld is not held by %s", (long long)id,
                          node);
    int64_t now = clock_now();
    int64_t n = attempts + 1;
    int is_dead = n >= max_attempts;
    const char *err = error ? error : "";
    struct db_val q[7] = {
        DBV_TEXT(is_dead ? "dead" : "queued"),
        DBV_INT(n),
        DBV_INT(is_dead ? now : now + outbox_backoff(n)),
        DBV_TEXTN(err, utf8_cut(err, MAX_ERROR)),
        DBV_INT(id),
        DBV_TEXT(node),
        DBV_INT(attempts),
    };
    rc = db_run(db, &st_failed, q, 7, NULL, NULL, e);
    if (rc == 0 && db_changes(db) != 1)
        rc = sm_err_set(e, SM_E_CONFLICT, "outbox", "mail %lld changed meanwhile", (long long)id);
    if (rc == 0 && dead)
        *dead = is_dead;
    return rc;
}

/* ---- reading ---- */

static int state_ok(const char *s)
{
    return s && (strcmp(s, "queued") == 0 || strcmp(s, "sent") == 0 || strcmp(s, "dead") == 0);
}

int outbox_list_by_order(struct db *db, int64_t order_id, size_t limit, struct outbox_row **rows,
                         size_t *n, struct sm_err *e)
{
    struct db_val p[2] = {DBV_INT(order_id), DBV_INT((int64_t)(limit > 100000 ? 100000 : limit))};
    return db_collect(db, &st_by_order, p, 2, &outbox_rowtype, rows, n, e);
}

int outbox_list(struct db *db, const char *state, size_t limit, struct outbox_row **rows, size_t *n,
                struct sm_err *e)
{
    int64_t lim = (int64_t)(limit > 100000 ? 100000 : limit);
    if (state == NULL) {
        struct db_val p[1] = {DBV_INT(lim)};
        return db_collect(db, &st_list_all, p, 1, &outbox_rowtype, rows, n, e);
    }
    *rows = NULL;
    *n = 0;
    if (!state_ok(state))
        return sm_err_set(e, SM_E_INVALID, "state", "state must be queued, sent or dead");
    struct db_val p[2] = {DBV_TEXT(state), DBV_INT(lim)};
    return db_collect(db, &st_list_state, p, 2, &outbox_rowtype, rows, n, e);
}

int outbox_count(struct db *db, const char *state, int64_t *count, struct sm_err *e)
{
    *count = 0;
    if (!state_ok(state))
        return sm_err_set(e, SM_E_INVALID, "state", "state must be queued, sent or dead");
    struct db_val p[1] = {DBV_TEXT(state)};
    return db_get_one(db, &st_count, p, 1, &db_row_int, count, e);
}
