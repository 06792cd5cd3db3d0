/* SPDX-License-Identifier: MIT */
/* Multi-perspective issuance corroboration; see mpic.h. */
#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/clock.h"
#include "core/config.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/policy.h"
#include "core/text.h"
#include "net/dns.h"
#include "net/fetch.h"
#include "net/perspective.h"
#include "ra/caa.h"
#include "ra/dcv.h"
#include "ra/mpic.h"
#include "store/mpic_attempts.h"

#define MPIC_MAX_PEERS 32
#define ID_HEX         32
/* An answer's timestamp may differ this much from the primary's clock. */
#define ANSWER_SKEW 60

static const char *const kind_names[MPIC__KINDS] = {
    "dns-txt", "http-file", "caa", "acme-dns-01", "acme-http-01", "acme-tls-alpn-01"};

const char *mpic_kind_name(int kind)
{
    return kind >= 0 && kind < MPIC__KINDS ? kind_names[kind] : "?";
}

int mpic_kind_parse(const char *s)
{
    for (int i = 0; s != NULL && i < MPIC__KINDS; i++)
        if (strcmp(s, kind_names[i]) == 0)
            return i;
    return -1;
}

/* ---- the quorum rule ---- */

int mpic_quorum(time_t at, size_t used, size_t agree, size_t rirs, const char **why)
{
    *why = NULL;
    if (used < (size_t)policy_mpic_min_perspectives(at)) {
        *why = "mpic.too_few";
        return 0;
    }
    if (used == 0)
        return 1;
    if (agree > used || used - agree > (size_t)policy_mpic_max_disagree(used)) {
        *why = "mpic.quorum";
        return 0;
    }
    if (rirs < (size_t)policy_mpic_min_rirs(at)) {
        *why = "mpic.rirs";
        return 0;
    }
    return 1;
}

/* ---- the process-wide perspective set ---- */

enum mode { M_UNCONFIGURED = 0, M_PRIMARY_ONLY, M_NONE, M_PEERS };

struct peer {
    char rir[16];
    char location[64]; /* the label, without the coordinates */
    int placed;        /* lat, lon given */
    double lat, lon;
    char url[256];
    unsigned char pk[PERSP_PK_BYTES];
    uint64_t up, down;
    int64_t last_ok_at, last_fail_at, since;
    char last_error[64];
};

static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static struct {
    enum mode mode;
    struct peer peers[MPIC_MAX_PEERS];
    size_t n;
    unsigned char sk[PERSP_SK_BYTES];
    long timeout_ms;
} g;

void mpic_unconfigure(void)
{
    pthread_mutex_lock(&g_mu);
    sodium_memzero(&g, sizeof g);
    pthread_mutex_unlock(&g_mu);
}

static int rir_known(const char *r)
{
    static const char *const rirs[] = {"ARIN", "RIPE", "APNIC", "LACNIC", "AFRINIC"};
    for (size_t i = 0; i < sizeof rirs / sizeof rirs[0]; i++)
        if (strcmp(r, rirs[i]) == 0)
            return 1;
    return 0;
}

/* "LABEL" or "LABEL@LAT,LON" (decimal degrees): the label into p->location, the
 * coordinates, when given, into p->lat / p->lon. */
static int parse_location(const char *f, struct peer *p, struct sm_err *e)
{
    const char *at = strchr(f, '@');
    size_t len = at != NULL ? (size_t)(at - f) : strlen(f);
    if (len == 0 || len >= sizeof p->location)
        return sm_err_set(e, SM_E_CONFIG, "mpic.perspectives",
                          "[mpic] perspectives: bad location '%.64s'", f);
    memcpy(p->location, f, len);
    p->location[len] = '\0';
    if (at == NULL)
        return 0;
    char *end = NULL;
    double lat = strtod(at + 1, &end), lon = 0;
    int ok = end != at + 1 && *end == ',';
    if (ok) {
        const char *ls = end + 1;
        lon = strtod(ls, &end);
        ok = end != ls && *end == '\0';
    }
    if (!ok || !(lat >= -90 && lat <= 90) || !(lon >= -180 && lon <= 180))
        return sm_err_set(e, SM_E_CONFIG, "mpic.perspectives",
                          "[mpic] perspectives: '%.64s': coordinates are LABEL@LAT,LON in decimal "
                          "degrees (-90..90, -180..180)",
                          f);
    p->placed = 1;
    p->lat = lat;
    p->lon = lon;
    return 0;
}

double mpic_distance_km(double lat1, double lon1, double lat2, double lon2)
{
    const double rad = M_PI / 180, earth_km = 6371.0088; /* the mean radius */
    double dlat = (lat2 - lat1) * rad, dlon = (lon2 - lon1) * rad;
    double a = sin(dlat / 2) * sin(dlat / 2) +
               cos(lat1 * rad) * cos(lat2 * rad) * sin(dlon / 2) * sin(dlon / 2);
    return 2 * earth_km * atan2(sqrt(a), sqrt(1 - a));
}

/* BR 3.2.2.9 (R-VAL-8): the perspectives are at least MPIC_MIN_DISTANCE_KM apart. Every
 * pair with coordinates is measured; one without them is refused unless [testing]
 * not_for_production (perspectives in network namespaces of one machine have no place). */
static int check_placement(const struct peer *v, size_t n, int testing, struct sm_err *e)
{
    for (size_t i = 0; i < n; i++) {
        if (!v[i].placed && !testing)
            return sm_err_set(e, SM_E_CONFIG, "mpic.perspectives",
                              "[mpic] perspectives: '%.64s' has no coordinates (LABEL@LAT,LON): "
                              "perspectives must be %d km or more apart (BR 3.2.2.9)",
                              v[i].location, MPIC_MIN_DISTANCE_KM);
        for (size_t j = 0; v[i].placed && j < i; j++) {
            if (!v[j].placed)
                continue;
            double d = mpic_distance_km(v[i].lat, v[i].lon, v[j].lat, v[j].lon);
            if (d < MPIC_MIN_DISTANCE_KM)
                return sm_err_set(e, SM_E_CONFIG, "mpic.perspectives",
                                  "[mpic] perspectives: '%.64s' and '%.64s' are %.0f km apart; "
                                  "perspectives must be %d km or more apart (BR 3.2.2.9)",
                                  v[j].location, v[i].location, d, MPIC_MIN_DISTANCE_KM);
        }
    }
    return 0;
}

/* One entry "RIR LOCATION URL KEY". */
static int parse_peer(char *entry, struct peer *p, struct sm_err *e)
{
    char *save = NULL, *f[5];
    size_t k = 0;
    for (char *t = strtok_r(entry, " \t\r\n", &save); t != NULL && k < 5;
         t = strtok_r(NULL, " \t\r\n", &save))
        f[k++] = t;
    if (k != 4)
        return sm_err_set(e, SM_E_CONFIG, "mpic.perspectives",
                          "[mpic] perspectives: an entry is 'RIR LOCATION URL PUBLIC_KEY'");
    if (!rir_known(f[0]))
        return sm_err_set(e, SM_E_CONFIG, "mpic.perspectives",
                          "[mpic] perspectives: unknown RIR '%.16s' (ARIN, RIPE, APNIC, LACNIC, "
                          "AFRINIC)",
                          f[0]);
    if (parse_location(f[1], p, e) < 0)
        return -e->code;
    if (strlen(f[2]) >= sizeof p->url ||
        (strncmp(f[2], "http://", 7) != 0 && strncmp(f[2], "https://", 8) != 0))
        return sm_err_set(e, SM_E_CONFIG, "mpic.perspectives",
                          "[mpic] perspectives: bad URL '%.64s'", f[2]);
    if (persp_pubkey_parse(f[3], p->pk) < 0)
        return sm_err_set(e, SM_E_CONFIG, "mpic.perspectives",
                          "[mpic] perspectives: '%.64s' is not a base64 Ed25519 public key", f[3]);
    snprintf(p->rir, sizeof p->rir, "%s", f[0]);
    size_t ul = strlen(f[2]);
    while (ul > 0 && f[2][ul - 1] == '/')
        f[2][--ul] = '\0';
    if (ul + strlen("/v1/check") >= sizeof p->url)
        return sm_err_set(e, SM_E_CONFIG, "mpic.perspectives", "[mpic] perspectives: URL too long");
    snprintf(p->url, sizeof p->url, "%s/v1/check", f[2]);
    return 0;
}

int mpic_configure(const struct config *c, struct sm_err *e)
{
    const char *list = config_str(c, "mpic", "perspectives");
    int64_t tmo;
    if (config_int(c, "mpic", "timeout_ms", 100, 60000, &tmo, e) < 0)
        return -e->code;
    struct peer *peers = calloc(MPIC_MAX_PEERS, sizeof *peers);
    size_t n = 0;
    int rc = peers ? 0 : sm_err_set(e, SM_E_NOMEM, "mpic", "out of memory");
    FILE *f = NULL;
    if (rc == 0 && *list) {
        char path[4096];
        if (config_path(c, list, path, sizeof path) < 0 || (f = fopen(path, "re")) == NULL)
            rc = sm_err_set(e, SM_E_CONFIG, "mpic.perspectives",
                            "[mpic] perspectives: cannot read %.200s", list);
    }
    char line[1024];
    while (rc == 0 && f != NULL && fgets(line, sizeof line, f) != NULL) {
        line[strcspn(line, "#")] = '\0';
        if (strspn(line, " \t\r\n") == strlen(line))
            continue;
        if (n == MPIC_MAX_PEERS)
            rc = sm_err_set(e, SM_E_CONFIG, "mpic.perspectives",
                            "[mpic] perspectives: more than %d", MPIC_MAX_PEERS);
        else
            rc = parse_peer(line, &peers[n++], e);
    }
    if (f != NULL)
        fclose(f);
    if (rc == 0)
        rc = check_placement(peers, n, config_not_for_production(c), e);
    unsigned char sk[PERSP_SK_BYTES], pk[PERSP_PK_BYTES];
    if (rc == 0 && n > 0) {
        char path[4096];
        if (config_path(c, config_str(c, "mpic", "key"), path, sizeof path) < 0)
            rc = sm_err_set(e, SM_E_CONFIG, "mpic.key", "[mpic] key: path too long");
        else
            rc = persp_key_load(path, sk, pk, e);
    }
    if (rc == 0) {
        pthread_mutex_lock(&g_mu);
        sodium_memzero(&g, sizeof g);
        g.timeout_ms = (long)tmo;
        if (n > 0) {
            g.mode = M_PEERS;
            for (size_t i = 0; i < n; i++)
                peers[i].since = (int64_t)clock_now();
            memcpy(g.peers, peers, n * sizeof *peers);
            g.n = n;
            memcpy(g.sk, sk, sizeof sk);
        } else {
            g.mode = config_not_for_production(c) ? M_PRIMARY_ONLY : M_NONE;
        }
        pthread_mutex_unlock(&g_mu);
    }
    sodium_memzero(sk, sizeof sk);
    free(peers);
    return rc;
}

static void date_text(time_t t, char *out, size_t n)
{
    char s[24];
    clock_format_utc(t, s, sizeof s);
    snprintf(out, n, "%.10s", s);
}

/* The date the next minimum takes effect after at, or 0. */
static time_t next_step(time_t at, int *value)
{
    const struct policy_step *s;
    size_t k = policy_steps(POLICY_MPIC_MIN_PERSPECTIVES, &s);
    for (size_t i = 0; i < k; i++)
        if (s[i].from > at) {
            *value = s[i].value;
            return s[i].from;
        }
    return 0;
}

int mpic_ready(time_t now, struct sm_err *e)
{
    pthread_mutex_lock(&g_mu);
    enum mode m = g.mode;
    size_t n = g.n;
    pthread_mutex_unlock(&g_mu);
    int need = policy_mpic_min_perspectives(now);
    if (m == M_UNCONFIGURED || m == M_PRIMARY_ONLY)
        return 0;
    if ((m == M_NONE && need > 0) || n < (size_t)need)
        return sm_err_set(e, SM_E_MPIC, "mpic",
                          "multi-perspective corroboration needs %d remote perspectives at this "
                          "date (BR 3.2.2.9); %zu configured in [mpic] perspectives",
                          need, n);
    return 0;
}

void mpic_status_text(time_t now, char *out, size_t n)
{
    pthread_mutex_lock(&g_mu);
    enum mode m = g.mode;
    size_t np = g.n;
    pthread_mutex_unlock(&g_mu);
    int need = policy_mpic_min_perspectives(now), later = 0;
    char when[16] = "";
    time_t next = next_step(now, &later);
    if (next)
        date_text(next, when, sizeof when);
    if (m == M_PRIMARY_ONLY)
        snprintf(out, n,
                 "primary only: no [mpic] perspectives ([testing] not_for_production); %d "
                 "required at this date",
                 need);
    else if (m == M_UNCONFIGURED)
        snprintf(out, n, "not configured");
    else if (np < (size_t)need)
        snprintf(out, n,
                 "REFUSING validation: %zu perspectives configured, %d required at this date", np,
                 need);
    else if (next && np < (size_t)later)
        snprintf(out, n, "%zu perspectives, %d required now; %d required from %s", np, need, later,
                 when);
    else
        snprintf(out, n, "%zu perspectives, %d required at this date", np, need);
}

size_t mpic_health_read(struct mpic_health *out, size_t max)
{
    pthread_mutex_lock(&g_mu);
    size_t n = g.mode == M_PEERS ? g.n : 0;
    for (size_t i = 0; i < n && i < max; i++) {
        const struct peer *p = &g.peers[i];
        memset(&out[i], 0, sizeof out[i]);
        snprintf(out[i].label, sizeof out[i].label, "%s", p->location);
        snprintf(out[i].rir, sizeof out[i].rir, "%s", p->rir);
        snprintf(out[i].url, sizeof out[i].url, "%s", p->url);
        out[i].up = p->up;
        out[i].down = p->down;
        out[i].last_ok_at = p->last_ok_at;
        out[i].last_fail_at = p->last_fail_at;
        out[i].since = p->since;
        snprintf(out[i].last_error, sizeof out[i].last_error, "%s", p->last_error);
    }
    pthread_mutex_unlock(&g_mu);
    return n;
}

/* ---- requests ---- */

int mpic_request_build(const unsigned char *sk, const struct mpic_check *q, const char *id,
                       time_t ts, int64_t deadline_ms, char **body, char *sig_b64)
{
    *body = NULL;
    json_t *o = json_pack("{s:i, s:s, s:I, s:I, s:s, s:s}", "v", 1, "id", id, "ts", (json_int_t)ts,
                          "deadline_ms", (json_int_t)deadline_ms, "kind", mpic_kind_name(q->kind),
                          "name", q->name ? q->name : "");
    if (o == NULL)
        return -SM_E_NOMEM;
    if (q->value)
        json_object_set_new(o, "value", json_string(q->value));
    if (q->file)
        json_object_set_new(o, "file", json_string(q->file));
    if (q->identities)
        json_object_set_new(o, "identities", json_string(q->identities));
    if (q->method)
        json_object_set_new(o, "method", json_string(q->method));
    if (q->account)
        json_object_set_new(o, "account", json_string(q->account));
    *body = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(o);
    if (*body == NULL)
        return -SM_E_NOMEM;
    persp_sign(sk, *body, strlen(*body), sig_b64);
    return 0;
}

static void new_id(char *out)
{
    unsigned char b[ID_HEX / 2];
    randombytes_buf(b, sizeof b);
    sodium_bin2hex(out, ID_HEX + 1, b, sizeof b);
}

/* Judges one perspective's answer: 1 corroborates, 0 not; *obs gets what it said (or why
 * it is not usable) for the evidence, *usable whether a valid signed answer came. */
static int judge(const struct peer *p, const struct persp_call *c, const char *id, time_t now,
                 json_t *obs, int *usable)
{
    *usable = 0;
    const char *why = NULL;
    json_t *a = NULL;
    if (c->error[0])
        why = c->error;
    else if (c->status != 200)
        why = c->status == 409   ? "refused: replay"
              : c->status == 408 ? "refused: stale"
              : c->status == 401 ? "refused: signature"
                                 : "refused";
    else if (!persp_verify(p->pk, c->answer, c->answer_len, c->answer_sig))
        why = "bad_signature";
    else if ((a = json_loadb(c->answer, c->answer_len, 0, NULL)) == NULL || !json_is_object(a))
        why = "garbage";
    else if (!json_is_string(json_object_get(a, "id")) ||
             strcmp(json_string_value(json_object_get(a, "id")), id) != 0)
        why = "wrong_id";
    else if (!json_is_integer(json_object_get(a, "ts")) ||
             llabs((long long)json_integer_value(json_object_get(a, "ts")) - (long long)now) >
                 ANSWER_SKEW)
        why = "stale_answer";
    else if (!json_is_boolean(json_object_get(a, "ok")))
        why = "garbage";
    if (c->status)
        json_object_set_new(obs, "status", json_integer(c->status));
    json_object_set_new(obs, "ms", json_integer(c->elapsed_ms));
    if (why != NULL) {
        json_object_set_new(obs, "agree", json_false());
        json_object_set_new(obs, "error", json_string(why));
        json_decref(a);
        return 0;
    }
    *usable = 1;
    int ok = json_is_true(json_object_get(a, "ok"));
    json_t *reason = json_object_get(a, "reason");
    json_t *ev = json_object_get(a, "evidence");
    const char *dnssec = json_string_value(json_object_get(ev, "dnssec"));
    /* a DNSSEC-bogus or failed lookup never corroborates, whatever the flag says */
    if (dnssec != NULL && strcmp(dnssec, "bogus") == 0)
        ok = 0;
    if (json_is_string(reason) && json_string_length(reason) > 0)
        ok = 0;
    json_object_set_new(obs, "agree", json_boolean(ok));
    json_object_set(obs, "reason", json_is_string(reason) ? reason : json_null());
    if (ev != NULL)
        json_object_set(obs, "evidence", ev);
    json_decref(a);
    return ok;
}

static json_t *attempt_block(int kind, time_t now, size_t used, size_t agree, int passed,
                             const char *why, json_t *rirs, json_t *per)
{
    char result[32];
    snprintf(result, sizeof result, "%zu/%zu", agree, used);
    json_t *b =
        json_pack("{s:s, s:b, s:s, s:i, s:i, s:o, s:o}", "result", result, "passed", passed,
                  "br_version", policy_br_version(now), "required",
                  policy_mpic_min_perspectives(now), "max_disagree", policy_mpic_max_disagree(used),
                  "rirs", rirs ? rirs : json_array(), "perspectives", per ? per : json_array());
    if (b != NULL) {
        json_object_set_new(b, "reason", why ? json_string(why) : json_null());
        json_object_set_new(b, "kind", json_string(mpic_kind_name(kind)));
    }
    return b;
}

/* The request of one call, made again for its retry (issue 11 item 4): a new id (the
 * first may have arrived), the same deadline. */
struct renewal {
    const unsigned char *sk;
    const struct mpic_check *q;
    int64_t deadline_ms;
    char *id;  /* ID_HEX + 1 */
    char *sig; /* PERSP_B64_MAX */
    char **body;
};

static int renew(struct persp_call *c, void *arg)
{
    struct renewal *r = arg;
    char *body = NULL;
    new_id(r->id);
    if (mpic_request_build(r->sk, r->q, r->id, clock_now(), r->deadline_ms, &body, r->sig) < 0)
        return -SM_E_NOMEM;
    free(*r->body);
    *r->body = body;
    c->body = body;
    c->sig_b64 = r->sig;
    return 0;
}

/* /metrics: the answer of one perspective (agree, disagree, timeout, error). */
static void count_answer(const struct peer *p, int usable, int ok, const char *error)
{
    char who[96], labels[160];
    metrics_label_value(who, sizeof who, p->location);
    snprintf(labels, sizeof labels, "perspective=\"%s\",result=\"%s\"", who,
             usable && ok                                     ? "agree"
             : usable                                         ? "disagree"
             : error != NULL && strcmp(error, "timeout") == 0 ? "timeout"
                                                              : "error");
    metrics_count(MF_MPIC_ANSWERS, labels);
}

/* Asks every perspective; fills *block and returns 1 pass, 0 fail, <0 memory. */
static int corroborate(const struct mpic_check *q, time_t now, json_t **block, const char **why)
{
    pthread_mutex_lock(&g_mu);
    size_t n = g.n;
    struct peer peers[MPIC_MAX_PEERS];
    memcpy(peers, g.peers, n * sizeof peers[0]);
    long tmo = g.timeout_ms;
    unsigned char sk[PERSP_SK_BYTES];
    memcpy(sk, g.sk, sizeof sk);
    pthread_mutex_unlock(&g_mu);

    struct persp_call calls[MPIC_MAX_PEERS];
    char ids[MPIC_MAX_PEERS][ID_HEX + 1], sigs[MPIC_MAX_PEERS][PERSP_B64_MAX];
    char *bodies[MPIC_MAX_PEERS] = {0};
    struct renewal again[MPIC_MAX_PEERS];
    memset(calls, 0, sizeof calls);
    time_t ts = clock_now();
    int64_t deadline_ms = (int64_t)ts * 1000 + tmo + 999; /* ts has seconds only */
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        new_id(ids[i]);
        rc = mpic_request_build(sk, q, ids[i], ts, deadline_ms, &bodies[i], sigs[i]);
        calls[i].url = peers[i].url;
        calls[i].body = bodies[i];
        calls[i].sig_b64 = sigs[i];
        again[i] = (struct renewal){sk, q, deadline_ms, ids[i], sigs[i], &bodies[i]};
        calls[i].renew = renew;
        calls[i].renew_arg = &again[i];
    }
    if (rc == 0)
        rc = persp_call_all(calls, n, tmo);
    sodium_memzero(sk, sizeof sk);
    json_t *per = json_array(), *rirs = json_array();
    size_t agree = 0;
    time_t done = clock_now();
    for (size_t i = 0; rc == 0 && i < n; i++) {
        json_t *obs = json_pack("{s:s, s:s, s:s, s:s}", "location", peers[i].location, "rir",
                                peers[i].rir, "url", peers[i].url, "id", ids[i]);
        if (obs == NULL || per == NULL || rirs == NULL) {
            json_decref(obs);
            rc = -SM_E_NOMEM;
            break;
        }
        int usable = 0;
        int ok = judge(&peers[i], &calls[i], ids[i], done, obs, &usable);
        if (calls[i].retried)
            json_object_set_new(obs, "retried", json_true());
        count_answer(&peers[i], usable, ok, calls[i].error);
        if (ok) {
            agree++;
            int seen = 0;
            for (size_t k = 0; k < json_array_size(rirs); k++)
                seen |= strcmp(json_string_value(json_array_get(rirs, k)), peers[i].rir) == 0;
            if (!seen)
                json_array_append_new(rirs, json_string(peers[i].rir));
        }
        json_array_append_new(per, obs);
        pthread_mutex_lock(&g_mu);
        for (size_t k = 0; k < g.n; k++) {
            struct peer *gp = &g.peers[k];
            if (strcmp(gp->url, peers[i].url) != 0)
                continue;
            if (usable) {
                gp->up++;
                gp->last_ok_at = (int64_t)done;
            } else {
                gp->down++;
                gp->last_fail_at = (int64_t)done;
                snprintf(gp->last_error, sizeof gp->last_error, "%s",
                         json_string_value(json_object_get(obs, "error")));
            }
        }
        pthread_mutex_unlock(&g_mu);
        if (!usable)
            log_warn("perspective gave no usable answer", "perspective", peers[i].location, "url",
                     peers[i].url, "why", json_string_value(json_object_get(obs, "error")));
    }
    for (size_t i = 0; i < n; i++) {
        persp_call_clear(&calls[i]);
        free(bodies[i]);
    }
    if (rc < 0) {
        json_decref(per);
        json_decref(rirs);
        return rc;
    }
    int passed = mpic_quorum(now, n, agree, json_array_size(rirs), why);
    *block = attempt_block(q->kind, now, n, agree, passed, *why, rirs, per);
    return *block ? passed : -SM_E_NOMEM;
}

static int set_block(char **evidence, json_t *block)
{
    json_t *ev = *evidence ? json_loads(*evidence, 0, NULL) : NULL;
    if (ev == NULL)
        ev = json_object();
    if (ev == NULL || block == NULL || json_object_set_new(ev, "mpic", block) < 0) {
        json_decref(ev);
        return -SM_E_NOMEM;
    }
    char *s = json_dumps(ev, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(ev);
    if (s == NULL)
        return -SM_E_NOMEM;
    free(*evidence);
    *evidence = s;
    return 0;
}

int mpic_after(const struct mpic_check *q, time_t now, int *ok, const char **reason, char *detail,
               size_t dn, char **evidence)
{
    pthread_mutex_lock(&g_mu);
    enum mode m = g.mode;
    pthread_mutex_unlock(&g_mu);
    if (m == M_UNCONFIGURED || !*ok)
        return 0;
    if (m == M_PRIMARY_ONLY) {
        json_t *b =
            json_pack("{s:s, s:s, s:s, s:s}", "mode", "primary-only", "result", "0/0", "br_version",
                      policy_br_version(now), "kind", mpic_kind_name(q->kind));
        return set_block(evidence, b);
    }
    struct sm_err e = {0};
    const char *why = NULL;
    json_t *block = NULL;
    int rc;
    if (mpic_ready(now, &e) < 0) {
        why = "mpic.too_few";
        block = attempt_block(q->kind, now, 0, 0, 0, why, NULL, NULL);
        rc = block ? 0 : -SM_E_NOMEM;
        snprintf(detail, dn, "%s", e.detail);
    } else {
        rc = corroborate(q, now, &block, &why);
        if (rc == 0)
            snprintf(detail, dn, "multi-perspective corroboration failed (%s, %s)",
                     json_string_value(json_object_get(block, "result")), why ? why : "?");
    }
    if (rc < 0)
        return rc;
    char labels[64];
    snprintf(labels, sizeof labels, "kind=\"%s\",outcome=\"%s\"", mpic_kind_name(q->kind),
             rc == 0 || why != NULL ? "fail" : "pass");
    metrics_count(MF_MPIC, labels);
    if (rc == 0 || why != NULL) {
        *ok = 0;
        *reason = why != NULL && strcmp(why, "mpic.too_few") == 0 ? "mpic.too_few"
                  : why != NULL && strcmp(why, "mpic.rirs") == 0  ? "mpic.rirs"
                                                                  : "mpic.quorum";
    }
    return set_block(evidence, block);
}

int mpic_record_tx(struct db *db, int64_t order_id, const char *name, const char *method,
                   const char *evidence, char *result, struct sm_err *e)
{
    if (result != NULL)
        result[0] = '\0';
    json_t *ev = evidence ? json_loads(evidence, 0, NULL) : NULL;
    json_t *b = json_object_get(ev, "mpic");
    if (b == NULL) {
        json_decref(ev);
        return 0;
    }
    const char *res = json_string_value(json_object_get(b, "result"));
    const char *kind = json_string_value(json_object_get(b, "kind"));
    char *per = json_dumps(json_object_get(b, "perspectives") ? json_object_get(b, "perspectives")
                                                              : json_array(),
                           JSON_COMPACT);
    if (per == NULL) {
        json_decref(ev);
        return sm_err_set(e, SM_E_NOMEM, "mpic", "out of memory");
    }
    const char *mode = json_string_value(json_object_get(b, "mode"));
    struct mpic_attempt_row r = {
        .order_id = order_id,
        .name = (char *)name,
        .kind = (char *)(kind ? kind : "caa"),
        .method = (char *)(method ? method : ""),
        .result = (char *)(res ? res : "0/0"),
        .passed = mode != NULL || json_is_true(json_object_get(b, "passed")),
        .reason = (char *)json_string_value(json_object_get(b, "reason")),
        .br_version = (char *)json_string_value(json_object_get(b, "br_version")),
        .perspectives = per,
        .created_at = (int64_t)clock_now(),
    };
    if (mode != NULL)
        r.reason = (char *)mode;
    if (result != NULL)
        snprintf(result, 16, "%s", r.result);
    int rc = mpic_attempt_insert(db, &r, e);
    free(per);
    json_decref(ev);
    return rc;
}

/* ---- the perspective agent ---- */

#define SEEN_MAX 4096

struct mpic_agent {
    const struct config *c;
    unsigned char sk[PERSP_SK_BYTES];
    unsigned char primary[PERSP_PK_BYTES];
    char label[64];
    long skew;
    pthread_mutex_t mu;
    struct {
        char id[ID_HEX + 1];
        time_t until;
    } seen[SEEN_MAX];
};

int mpic_agent_open(const struct config *c, struct mpic_agent **out, struct sm_err *e)
{
    *out = NULL;
    struct mpic_agent *a = calloc(1, sizeof *a);
    if (a == NULL)
        return sm_err_set(e, SM_E_NOMEM, "perspective", "out of memory");
    int64_t skew;
    char path[4096];
    int rc = config_int(c, "perspective", "max_skew", 1, 600, &skew, e);
    if (rc == 0 && persp_pubkey_parse(config_str(c, "perspective", "primary_key"), a->primary) < 0)
        rc = sm_err_set(e, SM_E_CONFIG, "perspective.primary_key",
                        "[perspective] primary_key: not a base64 Ed25519 public key");
    if (rc == 0 && config_path(c, config_str(c, "perspective", "key"), path, sizeof path) < 0)
        rc = sm_err_set(e, SM_E_CONFIG, "perspective.key", "[perspective] key: path too long");
    unsigned char pk[PERSP_PK_BYTES];
    if (rc == 0)
        rc = persp_key_load(path, a->sk, pk, e);
    if (rc < 0) {
        sodium_memzero(a, sizeof *a);
        free(a);
        return rc;
    }
    a->c = c;
    a->skew = (long)skew;
    snprintf(a->label, sizeof a->label, "%s", config_str(c, "perspective", "label"));
    pthread_mutex_init(&a->mu, NULL);
    *out = a;
    return 0;
}

void mpic_agent_close(struct mpic_agent *a)
{
    if (a == NULL)
        return;
    pthread_mutex_destroy(&a->mu);
    sodium_memzero(a, sizeof *a);
    free(a);
}

/* 1 when id was new and is now remembered until `until`; 0 a replay; -1 no room. */
static int remember(struct mpic_agent *a, const char *id, time_t now, time_t until)
{
    int rc = -1;
    size_t free_slot = SEEN_MAX;
    pthread_mutex_lock(&a->mu);
    for (size_t i = 0; i < SEEN_MAX; i++) {
        if (a->seen[i].until >= now && strcmp(a->seen[i].id, id) == 0) {
            rc = 0;
            break;
        }
        if (a->seen[i].until < now && free_slot == SEEN_MAX)
            free_slot = i;
    }
    if (rc != 0 && free_slot < SEEN_MAX) {
        snprintf(a->seen[free_slot].id, sizeof a->seen[free_slot].id, "%s", id);
        a->seen[free_slot].until = until;
        rc = 1;
    }
    pthread_mutex_unlock(&a->mu);
    return rc;
}

static int refuse(int *status, char **answer, int code, const char *why)
{
    *status = code;
    json_t *o = json_pack("{s:s}", "error", why);
    *answer = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    log_info("perspective request refused", "why", why);
    return *answer ? 0 : -SM_E_NOMEM;
}

static const char *str_or_null(json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

/* Runs the check of request r with this perspective's own resolver (a new context per
 * request: no cache shared with anyone). */
static int run_check(struct mpic_agent *a, json_t *r, int kind, time_t now, long left_ms,
                     json_t *ans)
{
    struct sm_err e = {0};
    struct dns *dns = NULL;
    const char *name = str_or_null(r, "name");
    int ok = 0, rc = 0;
    const char *reason = NULL;
    char detail[256] = "";
    char *evidence = NULL;
    if (dns_open(a->c, &dns, &e) < 0) {
        reason = "perspective.resolver";
        snprintf(detail, sizeof detail, "%s", e.detail);
    } else {
        dns_cap_timeout(dns, (int)(left_ms > 100 ? left_ms - 50 : 50));
        if (kind == MPIC_CAA) {
            struct caa_request q = {name, str_or_null(r, "identities"), str_or_null(r, "account"),
                                    str_or_null(r, "method")};
            struct caa_result cr = {0};
            rc = caa_check(dns, &q, now, &cr);
            ok = cr.ok;
            reason = cr.reason;
            snprintf(detail, sizeof detail, "%s", cr.detail);
            evidence = cr.evidence;
            cr.evidence = NULL;
            caa_result_free(&cr);
        } else {
            struct dcv_result dr = {0};
            if (kind == MPIC_DNS_TXT) {
                rc = dcv_check_dns(dns, name, str_or_null(r, "value"), now, &dr);
            } else if (kind == MPIC_ACME_DNS01) {
                rc = dcv_check_acme_dns(dns, name, str_or_null(r, "value"), now, &dr);
            } else {
                struct fetch_opts fo;
                if (fetch_opts_from_config(a->c, &fo, &e) < 0) {
                    dr.reason = "perspective.config";
                    snprintf(dr.detail, sizeof dr.detail, "%s", e.detail);
                } else {
                    fo.dns = dns;
                    if (fo.timeout_ms > left_ms)
                        fo.timeout_ms = left_ms;
                    if (fo.connect_timeout_ms > left_ms)
                        fo.connect_timeout_ms = left_ms;
                    if (kind == MPIC_ACME_TLSALPN01)
                        rc = dcv_check_acme_tlsalpn(&fo, name, str_or_null(r, "value"), now, &dr);
                    else if (kind == MPIC_ACME_HTTP01)
                        rc = dcv_check_acme_http(&fo, name, str_or_null(r, "file"),
                                                 str_or_null(r, "value"), now, &dr);
                    else
                        rc = dcv_check_http(&fo, name, str_or_null(r, "value"),
                                            str_or_null(r, "file"), now, &dr);
                }
            }
            ok = dr.ok;
            reason = dr.reason;
            snprintf(detail, sizeof detail, "%s", dr.detail);
            evidence = dr.evidence;
            dr.evidence = NULL;
            dcv_result_free(&dr);
        }
    }
    dns_close(dns);
    if (rc < 0) {
        free(evidence);
        return rc;
    }
    json_t *ev = evidence ? json_loads(evidence, 0, NULL) : NULL;
    free(evidence);
    json_object_set_new(ans, "ok", json_boolean(ok));
    json_object_set_new(ans, "reason", reason ? json_string(reason) : json_null());
    json_object_set_new(ans, "detail", json_string(detail));
    json_object_set_new(ans, "evidence", ev ? ev : json_object());
    return 0;
}

int mpic_agent_handle(struct mpic_agent *a, const char *body, size_t len, const char *sig,
                      int *status, char **answer, char *answer_sig)
{
    *answer = NULL;
    answer_sig[0] = '\0';
    if (sig == NULL || !persp_verify(a->primary, body, len, sig))
        return refuse(status, answer, 401, "signature");
    json_t *r = json_loadb(body, len, 0, NULL);
    const char *id = str_or_null(r, "id");
    json_t *ts = json_object_get(r, "ts"), *dl = json_object_get(r, "deadline_ms");
    int kind = mpic_kind_parse(str_or_null(r, "kind"));
    const char *name = str_or_null(r, "name");
    int rc;
    time_t now = clock_now();
    struct timespec rt;
    clock_gettime(CLOCK_REALTIME, &rt);
    int64_t now_ms = (int64_t)now * 1000 + rt.tv_nsec / 1000000;
    if (!json_is_object(r) || json_integer_value(json_object_get(r, "v")) != 1 || id == NULL ||
        strlen(id) != ID_HEX || !text_is_lower_hex(id, ID_HEX) || !json_is_integer(ts) ||
        !json_is_integer(dl) || kind < 0 || name == NULL || *name == '\0' || strlen(name) > 253) {
        json_decref(r);
        return refuse(status, answer, 400, "malformed");
    }
    long long t = (long long)json_integer_value(ts), d = (long long)json_integer_value(dl);
    if (llabs(t - (long long)now) > a->skew || d < now_ms ||
        d > ((long long)now + a->skew + 120) * 1000) {
        json_decref(r);
        return refuse(status, answer, 408, "stale");
    }
    int fresh = remember(a, id, now, (time_t)(t + a->skew + 1));
    if (fresh <= 0) {
        json_decref(r);
        return refuse(status, answer, fresh == 0 ? 409 : 503, fresh == 0 ? "replay" : "busy");
    }
    json_t *ans = json_pack("{s:i, s:s, s:s, s:s, s:s}", "v", 1, "id", id, "perspective", a->label,
                            "kind", mpic_kind_name(kind), "name", name);
    rc = ans ? run_check(a, r, kind, now, (long)(d - now_ms), ans) : -SM_E_NOMEM;
    json_decref(r);
    if (rc == 0)
        rc = json_object_set_new(ans, "ts", json_integer((json_int_t)clock_now())) < 0 ? -SM_E_NOMEM
                                                                                       : 0;
    if (rc == 0)
        *answer = json_dumps(ans, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(ans);
    if (rc < 0 || *answer == NULL)
        return rc < 0 ? rc : -SM_E_NOMEM;
    *status = 200;
    persp_sign(a->sk, *answer, strlen(*answer), answer_sig);
    return 0;
}
