/* SPDX-License-Identifier: MIT */
/* Audit log (audit.h): appends hash-chained records inside the caller's transaction and
 * verifies the chain. Owns the SQL of tables audit_log and audit_head; offers no way to
 * delete or change a record. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/failalloc.h"
#include "core/hashchain.h"
#include "store/audit.h"
#include "store/db.h"

static const struct db_stmt st_head = {"audit.head",
                                       "SELECT seq, hash FROM audit_head WHERE id = 1", NULL,
                                       "SELECT seq, hash FROM audit_head WHERE id = 1 FOR UPDATE"};
static const struct db_stmt st_insert = {
    "audit.insert",
    "INSERT INTO audit_log (seq, at, actor, action, object, detail, prev_hash, hash, client_ip) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    NULL, NULL};
static const struct db_stmt st_set_head = {
    "audit.set_head", "UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1", NULL, NULL};
static const struct db_stmt st_walk = {
    "audit.walk",
    "SELECT seq, at, actor, action, object, detail, prev_hash, hash, client_ip FROM audit_log "
    "WHERE seq <= $1 ORDER BY seq",
    NULL, NULL};
static const struct db_stmt st_after = {
    "audit.after", "SELECT min(seq) FROM audit_log WHERE seq > $1", NULL, NULL};

struct head {
    int found;
    int64_t seq;
    char hash[HASHCHAIN_HEX];
};

static int read_head(void *ctx, const struct db_val *c, int ncols)
{
    struct head *h = ctx;
    if (ncols != 2 || c[1].t != DB_TEXT || c[1].n != HASHCHAIN_HEX - 1)
        return -SM_E_DB;
    h->found = 1;
    h->seq = db_col_int(&c[0]);
    memcpy(h->hash, c[1].p, c[1].n);
    h->hash[HASHCHAIN_HEX - 1] = '\0';
    return 0;
}

static int get_head(struct db *db, struct head *h, struct sm_err *e)
{
    memset(h, 0, sizeof *h);
    int rc = db_run(db, &st_head, NULL, 0, read_head, h, e);
    if (rc == -SM_E_DB && e != NULL && e->code != SM_E_DB)
        return sm_err_set(e, SM_E_DB, "audit_head", "audit head is malformed");
    if (rc < 0)
        return rc;
    if (!h->found)
        return sm_err_set(e, SM_E_DB, "audit_head", "audit head row is missing");
    return 0;
}

/* ---- the records of the open transaction ----
 * An append only checks and keeps its record in memory. A pre-commit hook (db_on_commit)
 * then reads the chain head (on PostgreSQL SELECT ... FOR UPDATE, held until COMMIT, so
 * two nodes never fork the chain; on SQLite BEGIN IMMEDIATE already serializes writers),
 * links and inserts the records in the order they were appended and writes the head back
 * once. So the head is the last lock every change takes, after the rows it changed: two
 * transactions that change rows in different orders can no longer deadlock on it, and the
 * head is held only for the end of the transaction. A rollback drops the records. */

struct rec {
    int64_t at;
    char *actor, *action, *object, *detail, *ip; /* one allocation: see keep() */
};

struct tx_log {
    struct rec *r;
    size_t n, cap;
};

static void tx_log_free(void *ctx)
{
    struct tx_log *t = ctx;
    if (t == NULL)
        return;
    for (size_t i = 0; i < t->n; i++)
        free(t->r[i].actor);
    free(t->r);
    free(t);
}

static int link_and_insert(struct db *db, struct head *h, const struct rec *r, struct sm_err *e);

static int flush(struct db *db, void *ctx, struct sm_err *e)
{
    const struct tx_log *t = ctx;
    if (t->n == 0)
        return 0;
    struct head h;
    int rc = get_head(db, &h, e);
    for (size_t i = 0; rc == 0 && i < t->n; i++)
        rc = link_and_insert(db, &h, &t->r[i], e);
    if (rc < 0)
        return rc;
    struct db_val q[2] = {DBV_INT(h.seq), DBV_TEXT(h.hash)};
    rc = db_run(db, &st_set_head, q, 2, NULL, NULL, e);
    if (rc < 0)
        return rc;
    if (db_changes(db) != 1)
        return sm_err_set(e, SM_E_DB, "audit_head", "audit head was not updated");
    return 0;
}

/* The open transaction's records, registered for the commit at the first append. */
static int tx_log(struct db *db, struct tx_log **out, struct sm_err *e)
{
    *out = db_hook_ctx(db, flush);
    if (*out != NULL)
        return 0;
    struct tx_log *t = sm_calloc(1, sizeof *t);
    if (t == NULL)
        return sm_err_set(e, SM_E_NOMEM, "audit", "out of memory");
    int rc = db_on_commit(db, flush, tx_log_free, t, e); /* t is taken either way */
    if (rc < 0)
        return rc;
    *out = t;
    return 0;
}

/* Copies the record's texts into one allocation owned by r->actor. */
static int keep(struct rec *r, int64_t at, const char *actor, const char *action,
                const char *object, const char *detail, const char *ip)
{
    size_t na = strlen(actor) + 1, nb = strlen(action) + 1, no = strlen(object) + 1,
           nd = strlen(detail) + 1, ni = ip ? strlen(ip) + 1 : 0;
    char *p = sm_malloc(na + nb + no + nd + ni);
    if (p == NULL)
        return -SM_E_NOMEM;
    r->at = at;
    r->actor = memcpy(p, actor, na);
    r->action = memcpy(p + na, action, nb);
    r->object = memcpy(p + na + nb, object, no);
    r->detail = memcpy(p + na + nb + no, detail, nd);
    r->ip = ip ? memcpy(p + na + nb + no + nd, ip, ni) : NULL;
    return 0;
}

/* The hashed fields of a record: six, and the client address as a seventh when the
 * record has one (records before migration 0019 and records without a request have none
 * and hash as they always did). Returns the number of fields. */
static size_t link_fields(struct hashchain_field f[7], const char *seq, const char *at,
                          const void *actor, size_t na, const void *action, size_t nb,
                          const void *object, size_t no, const void *detail, size_t nd,
                          const void *ip, size_t ni)
{
    f[0] = (struct hashchain_field){seq, strlen(seq)};
    f[1] = (struct hashchain_field){at, strlen(at)};
    f[2] = (struct hashchain_field){actor, na};
    f[3] = (struct hashchain_field){action, nb};
    f[4] = (struct hashchain_field){object, no};
    f[5] = (struct hashchain_field){detail, nd};
    if (ip == NULL)
        return 6;
    f[6] = (struct hashchain_field){ip, ni};
    return 7;
}

static int check_detail(const char *detail, struct sm_err *e)
{
    size_t n = strlen(detail);
    if (n > AUDIT_MAX_DETAIL)
        return sm_err_set(e, SM_E_TOO_LARGE, "detail", "audit detail is %zu bytes", n);
    json_error_t je;
    json_t *j = json_loadb(detail, n, JSON_REJECT_DUPLICATES, &je);
    int is_obj = j != NULL && json_is_object(j);
    json_decref(j);
    if (!is_obj)
        return sm_err_set(e, SM_E_INVALID, "detail", "audit detail is not a JSON object");
    return 0;
}

int audit_append(struct db *db, const char *actor, const char *action, const char *object,
                 const char *detail_json, struct sm_err *e)
{
    return audit_append_from(db, actor, db_client_ip(db), action, object, detail_json, e);
}

/* Appends with detail_json already known to be a JSON object when checked is 1. */
static int append(struct db *db, const char *actor, const char *client_ip, const char *action,
                  const char *object, const char *detail_json, int checked, struct sm_err *e);

int audit_append_from(struct db *db, const char *actor, const char *client_ip, const char *action,
                      const char *object, const char *detail_json, struct sm_err *e)
{
    return append(db, actor, client_ip, action, object, detail_json, 0, e);
}

/* audit_detail_text with its error code: 0 and *out, or the error (*out NULL). */
static int detail_text(const json_t *detail, char **out, struct sm_err *e)
{
    *out = NULL;
    if (detail == NULL || !json_is_object(detail))
        return sm_err_set(e, SM_E_INVALID, "detail", "audit detail is not a JSON object");
    char *s = json_dumps(detail, JSON_COMPACT | JSON_SORT_KEYS);
    if (s == NULL)
        return sm_err_set(e, SM_E_NOMEM, "audit", "out of memory");
    size_t n = strlen(s);
    if (n > AUDIT_MAX_DETAIL) {
        free(s);
        return sm_err_set(e, SM_E_TOO_LARGE, "detail", "audit detail is %zu bytes", n);
    }
    *out = s;
    return 0;
}

char *audit_detail_text(const json_t *detail, struct sm_err *e)
{
    char *s;
    detail_text(detail, &s, e);
    return s;
}

int audit_append_text(struct db *db, const char *actor, const char *action, const char *object,
                      const char *text, struct sm_err *e)
{
    /* not parsed again; what cannot be audit_detail_text's is refused */
    size_t n = text ? strlen(text) : 0;
    if (n < 2 || text[0] != '{' || text[n - 1] != '}')
        return sm_err_set(e, SM_E_INVALID, "detail", "audit detail is not a JSON object");
    if (n > AUDIT_MAX_DETAIL)
        return sm_err_set(e, SM_E_TOO_LARGE, "detail", "audit detail is %zu bytes", n);
    return append(db, actor, db_client_ip(db), action, object, text, 1, e);
}

int audit_append_json(struct db *db, const char *actor, const char *action, const char *object,
                      const json_t *detail, struct sm_err *e)
{
    if (detail == NULL)
        return append(db, actor, db_client_ip(db), action, object, NULL, 1, e);
    char *s;
    int rc = detail_text(detail, &s, e);
    if (rc < 0)
        return rc;
    rc = audit_append_text(db, actor, action, object, s, e);
    free(s);
    return rc;
}

static int append(struct db *db, const char *actor, const char *client_ip, const char *action,
                  const char *object, const char *detail_json, int checked, struct sm_err *e)
{
    if (client_ip != NULL && *client_ip == '\0')
        client_ip = NULL;
    if (client_ip != NULL && strlen(client_ip) > AUDIT_MAX_CLIENT_IP)
        return sm_err_set(e, SM_E_TOO_LARGE, "client_ip", "client address too long");
    if (!db_in_transaction(db))
        return sm_err_set(e, SM_E_INTERNAL, "audit", "audit_append outside a transaction");
    if (actor == NULL || *actor == '\0')
        return sm_err_set(e, SM_E_INVALID, "actor", "audit actor is empty");
    if (action == NULL || *action == '\0')
        return sm_err_set(e, SM_E_INVALID, "action", "audit action is empty");
    if (object == NULL)
        object = "";
    if (detail_json == NULL)
        detail_json = "{}";
    int rc = checked ? 0 : check_detail(detail_json, e);
    if (rc < 0)
        return rc;
    struct tx_log *t = NULL;
    rc = tx_log(db, &t, e);
    if (rc < 0)
        return rc;
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 8;
        struct rec *r = sm_realloc(t->r, cap * sizeof *r);
        if (r == NULL)
            return sm_err_set(e, SM_E_NOMEM, "audit", "out of memory");
        t->r = r;
        t->cap = cap;
    }
    if (keep(&t->r[t->n], (int64_t)clock_now(), actor, action, object, detail_json, client_ip) < 0)
        return sm_err_set(e, SM_E_NOMEM, "audit", "out of memory");
    t->n++; /* linked and inserted at commit: see flush */
    return 0;
}

/* Links r after h (its seq and hash move on) and inserts it. */
static int link_and_insert(struct db *db, struct head *h, const struct rec *r, struct sm_err *e)
{
    int64_t seq = h->seq + 1;
    char sseq[24], sat[24], hash[HASHCHAIN_HEX];
    snprintf(sseq, sizeof sseq, "%lld", (long long)seq);
    snprintf(sat, sizeof sat, "%lld", (long long)r->at);
    struct hashchain_field f[7];
    size_t nf = link_fields(f, sseq, sat, r->actor, strlen(r->actor), r->action, strlen(r->action),
                            r->object, strlen(r->object), r->detail, strlen(r->detail), r->ip,
                            r->ip ? strlen(r->ip) : 0);
    int rc = hashchain_next(h->hash, f, nf, hash);
    if (rc < 0)
        return sm_err_set(e, -rc, "audit", "cannot hash audit record");
    struct db_val p[9] = {DBV_INT(seq),        DBV_INT(r->at),      DBV_TEXT(r->actor),
                          DBV_TEXT(r->action), DBV_TEXT(r->object), DBV_TEXT(r->detail),
                          DBV_TEXT(h->hash),   DBV_TEXT(hash),      DBV_NULL};
    if (r->ip != NULL)
        p[8] = DBV_TEXT(r->ip);
    rc = db_run(db, &st_insert, p, 9, NULL, NULL, e);
    if (rc < 0)
        return rc;
    h->seq = seq;
    memcpy(h->hash, hash, HASHCHAIN_HEX);
    return 0;
}

/* ---- verification ---- */

struct walk {
    int64_t expect;           /* next expected seq */
    char last[HASHCHAIN_HEX]; /* hash of the previous record */
    int64_t bad;
    char why[160];
};

static int broken(struct walk *w, int64_t seq, const char *why)
{
    w->bad = seq;
    snprintf(w->why, sizeof w->why, "%s", why);
    return 1; /* stop */
}

static int is_text(const struct db_val *v) { return v->t == DB_TEXT; }

static int walk_row(void *ctx, const struct db_val *c, int ncols)
{
    struct walk *w = ctx;
    if (ncols != 9)
        return -SM_E_DB;
    int64_t seq = db_col_int(&c[0]);
    if (seq != w->expect) {
        char why[96];
        snprintf(why, sizeof why, "record %lld is missing (sequence gap)", (long long)w->expect);
        return broken(w, w->expect, why);
    }
    for (int i = 2; i < 8; i++)
        if (!is_text(&c[i]))
            return broken(w, seq, "a field is not text");
    if (c[1].t != DB_INT)
        return broken(w, seq, "time is not an integer");
    if (c[8].t != DB_NULL && !is_text(&c[8]))
        return broken(w, seq, "the client address is not text");
    if (c[6].n != HASHCHAIN_HEX - 1 || memcmp(c[6].p, w->last, HASHCHAIN_HEX - 1) != 0)
        return broken(w, seq,
                      "prev_hash does not match the previous record "
                      "(deleted, inserted or reordered records)");
    char sseq[24], sat[24], hash[HASHCHAIN_HEX];
    snprintf(sseq, sizeof sseq, "%lld", (long long)seq);
    snprintf(sat, sizeof sat, "%lld", (long long)c[1].i);
    struct hashchain_field f[7];
    size_t nf = link_fields(f, sseq, sat, c[2].p, c[2].n, c[3].p, c[3].n, c[4].p, c[4].n, c[5].p,
                            c[5].n, c[8].t == DB_NULL ? NULL : c[8].p, c[8].n);
    if (hashchain_next(w->last, f, nf, hash) < 0)
        return -SM_E_CRYPTO;
    if (c[7].n != HASHCHAIN_HEX - 1 || memcmp(c[7].p, hash, HASHCHAIN_HEX - 1) != 0)
        return broken(w, seq, "record contents do not match its hash (changed record)");
    memcpy(w->last, hash, HASHCHAIN_HEX);
    w->expect++;
    return 0;
}

int audit_verify_count(struct db *db, int64_t *records, int64_t *bad_seq, char *why, size_t n,
                       struct sm_err *e)
{
    if (records != NULL)
        *records = 0;
    if (bad_seq != NULL)
        *bad_seq = 0;
    if (why != NULL && n > 0)
        why[0] = '\0';
    /* The head is read first: every record up to it is committed, whatever is appended
     * while we walk. */
    struct head h;
    int rc = get_head(db, &h, e);
    if (rc < 0)
        return rc;
    struct walk w;
    memset(&w, 0, sizeof w);
    w.expect = 1;
    memcpy(w.last, hashchain_genesis, HASHCHAIN_HEX);
    struct db_val p = DBV_INT(h.seq);
    rc = db_run(db, &st_walk, &p, 1, walk_row, &w, e);
    if (rc < 0) {
        if (e != NULL && e->code == SM_OK)
            sm_err_set(e, -rc, "audit_log", "audit log walk failed");
        return rc;
    }
    if (rc == 0 && w.expect != h.seq + 1) {
        char msg[96];
        snprintf(msg, sizeof msg, "record %lld is missing (the log ends before the head at %lld)",
                 (long long)w.expect, (long long)h.seq);
        broken(&w, w.expect, msg);
    } else if (rc == 0 && strcmp(w.last, h.hash) != 0) {
        broken(&w, h.seq, "the chain head does not match this record (head changed)");
    } else if (rc == 0) {
        /* Records past the head were added behind the log's back, unless one is being
         * appended right now (then it is not committed and invisible here). */
        int64_t extra = 0;
        rc = db_get_one(db, &st_after, &p, 1, &db_row_int, &extra, e); /* min(): one row */
        if (rc < 0)
            return rc;
        struct head h2;
        rc = get_head(db, &h2, e);
        if (rc < 0)
            return rc;
        if (extra > 0 && extra > h2.seq)
            broken(&w, extra, "record is not part of the chain (beyond the head)");
    }
    if (w.bad != 0) {
        if (bad_seq != NULL)
            *bad_seq = w.bad;
        if (why != NULL && n > 0)
            snprintf(why, n, "%s", w.why);
        return sm_err_set(e, SM_E_CONFLICT, "audit_log", "audit log broken at record %lld: %s",
                          (long long)w.bad, w.why);
    }
    if (records != NULL)
        *records = h.seq;
    return 0;
}

int audit_verify(struct db *db, int64_t *bad_seq, char *why, size_t n, struct sm_err *e)
{
    return audit_verify_count(db, NULL, bad_seq, why, n, e);
}
