/* SPDX-License-Identifier: MIT */
/* shomei issue: the audited operator command that issues certificates without an order
 * (tests, benches). It signs only with a test hierarchy (`shomei init --test-ca`, issue 8
 * item 22): with production CAs there is no validated domain and no CAA check behind the
 * names, so it refuses before any serial is reserved; production certificates are
 * applied for through the portal or the API. One certificate:
 *   shomei issue --dir DIR --csr FILE --name N [--name N...] --level dv|ov|ev
 *                [--org O --locality L --state S --country C] [--days D] [--root a|b]
 * Many (one line per certificate: "CSRFILE NAME [NAME...]"; the subject flags apply to all):
 *   shomei issue --dir DIR --batch FILE --level ... [--out DIR] [--threads N]
 * Every CSR and name is checked before any serial is reserved; certificates are printed
 * (or written to OUT/SERIAL.pem) only after they are stored. Exit 0 all issued, 1 not,
 * 2 usage. SHOMEI_ISSUE_TIMING=1 prints where the time went (wall and CPU per phase) to
 * stderr, for bench/issue.sh. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include "cli/cli.h"
#include "core/config.h"
#include "core/failalloc.h"
#include "core/heap.h"
#include "core/log.h"
#include "pki/ca.h"
#include "pki/csr.h"
#include "pki/names.h"
#include "pki/weakkey.h"
#include "ra/issuance.h"
#include "ra/issuer.h"
#include "ra/keyblock.h"
#include "store/db.h"

#define MAX_NAMES 100
#define CSR_MAX   (64 * 1024)
/* The heap a run keeps (heap_for_batch): the CA key's scrypt (32 MiB) and, beside it, the
 * checked CSRs and the certificates of a few thousand jobs. */
#define ISSUE_HEAP ((size_t)64 << 20)

struct opts {
    const char *dir, *csr, *batch, *out, *level, *root;
    const char *names[MAX_NAMES];
    int nnames, days, threads;
    struct profile_subject subj;
};

/* One certificate to issue, with the storage its issuance_item borrows. */
struct job {
    char *csr_path;
    EVP_PKEY *key;
    X509_PUBKEY *spki;
    char spki_hex[65]; /* SHA-256 of the SPKI, for the compromised-key blocklist */
    char *names[MAX_NAMES];
    int nnames;
};

static int usage(void)
{
    fprintf(stderr,
            "usage: shomei issue --dir DIR --csr FILE --name N [--name N...] --level dv|ov|ev\n"
            "                    [--org O] [--locality L] [--state S] [--country C]\n"
            "                    [--ev-category C --jurisdiction-c C --reg-number N]\n"
            "                    [--days D] [--root a|b]\n"
            "       shomei issue --dir DIR --batch FILE --level dv|ov|ev [...] [--out DIR]"
            " [--threads N]\n"
            "       (FILE lines: CSRFILE NAME [NAME...])\n");
    return 2;
}

static int int_arg(const char *s, int min, int max, int *out)
{
    char *end = NULL;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
        return -1;
    *out = (int)v;
    return 0;
}

static int parse_args(int argc, char **argv, struct opts *o)
{
    o->root = "a";
    o->threads = 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (v == NULL)
            return -1;
        i++;
        if (strcmp(a, "--dir") == 0)
            o->dir = v;
        else if (strcmp(a, "--csr") == 0)
            o->csr = v;
        else if (strcmp(a, "--batch") == 0)
            o->batch = v;
        else if (strcmp(a, "--out") == 0)
            o->out = v;
        else if (strcmp(a, "--level") == 0)
            o->level = v;
        else if (strcmp(a, "--root") == 0)
            o->root = v;
        else if (strcmp(a, "--name") == 0 && o->nnames < MAX_NAMES)
            o->names[o->nnames++] = v;
        else if (strcmp(a, "--org") == 0)
            o->subj.o = v;
        else if (strcmp(a, "--locality") == 0)
            o->subj.l = v;
        else if (strcmp(a, "--state") == 0)
            o->subj.st = v;
        else if (strcmp(a, "--country") == 0)
            o->subj.c = v;
        else if (strcmp(a, "--ev-category") == 0)
            o->subj.business_category = v;
        else if (strcmp(a, "--jurisdiction-c") == 0)
            o->subj.jurisdiction_c = v;
        else if (strcmp(a, "--reg-number") == 0)
            o->subj.serial_number = v;
        else if (strcmp(a, "--days") == 0) {
            if (int_arg(v, 1, 3650, &o->days) < 0)
                return -1;
        } else if (strcmp(a, "--threads") == 0) {
            if (int_arg(v, 1, 8, &o->threads) < 0)
                return -1;
        } else
            return -1;
    }
    if (o->dir == NULL || o->level == NULL || (o->csr == NULL) == (o->batch == NULL))
        return -1;
    if (o->csr != NULL && o->nnames == 0)
        return -1;
    if (o->batch != NULL && o->nnames > 0)
        return -1;
    if (strcmp(o->level, "dv") != 0 && strcmp(o->level, "ov") != 0 && strcmp(o->level, "ev"))
        return -1;
    if (strcmp(o->root, "a") != 0 && strcmp(o->root, "b") != 0)
        return -1;
    return 0;
}

/* One line on stderr, written in one call: the CSR check threads report at once. */
static void fail_msg(const char *ja, const char *en, const char *what, const struct sm_err *e)
{
    char line[2048];
    snprintf(line, sizeof line, "shomei issue: %s / %s%s%s%s%s%s\n", ja, en, what ? ": " : "",
             what ? what : "", e && e->detail[0] ? " (" : "", e && e->detail[0] ? e->detail : "",
             e && e->detail[0] ? ")" : "");
    fputs(line, stderr);
}

/* Reads the CSR file at path into *buf (the caller frees), *len bytes: at most
 * CSR_MAX + 1, so that the check sees an oversized file. Plain open/read (no stdio
 * buffer), into a buffer sized from the file, and no read past the size fstat gave (a
 * file of unknown size is read to its end). 0 or -1. */
static int read_file(const char *path, unsigned char **buf, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    struct stat st;
    int sized =
        fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 && st.st_size < CSR_MAX;
    size_t want = sized ? (size_t)st.st_size : CSR_MAX + 1;
    unsigned char *b = sm_malloc(want);
    size_t n = 0;
    int err = b == NULL;
    while (!err && n < want) { /* to the end, or one byte past the most a CSR may have */
        ssize_t k = read(fd, b + n, want - n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0) {
            err = k < 0;
            break;
        }
        n += (size_t)k;
    }
    close(fd);
    if (err) {
        free(b);
        return -1;
    }
    *buf = b;
    *len = n;
    return 0;
}

/* Checks the CSR of j (R-CSR-1) and keeps its public key. 0, or -1 after printing why. */
static int load_csr(struct job *j)
{
    unsigned char *buf = NULL;
    size_t len = 0;
    struct csr_info *info = NULL;
    struct sm_err e = {0};
    int rc = -1;
    if (read_file(j->csr_path, &buf, &len) < 0) {
        fail_msg("CSR ファイルを読めません", "cannot read the CSR file", j->csr_path, NULL);
        return -1;
    }
    if (csr_check(buf, len, NULL, &info, &e) < 0) {
        fail_msg("CSR を検査できません", "cannot check the CSR", j->csr_path, &e);
        goto out;
    }
    if (!info->acceptable) {
        fail_msg("CSR を受け付けられません", "the CSR is not acceptable", j->csr_path, NULL);
        for (size_t i = 0; i < info->nproblems; i++)
            if (info->problems[i].severity == CSR_SEV_ERROR)
                fprintf(stderr, "  %s: %s / %s %s\n", info->problems[i].code,
                        info->problems[i].msg_ja, info->problems[i].msg_en,
                        info->problems[i].detail);
        goto out;
    }
    snprintf(j->spki_hex, sizeof j->spki_hex, "%s",
             info->spki_sha256_hex ? info->spki_sha256_hex : "");
    j->key = info->pkey; /* taken over: decoded once (NULL for a named EC key: spki) */
    j->spki = info->spki;
    info->pkey = NULL;
    info->spki = NULL;
    if (j->spki == NULL) {
        fail_msg("CSR の公開鍵を読めません", "cannot read the CSR's public key", j->csr_path, NULL);
        goto out;
    }
    rc = 0;
out:
    csr_info_free(info);
    free(buf);
    return rc;
}

/* Checks and normalizes one name (R-CSR-4) into j. 0, or -1 after printing why. */
static int add_name(struct job *j, const char *name, int allow_wildcard)
{
    char norm[NAMES_NORM_MAX];
    struct names_problem np = {0};
    int rc = names_check(name, allow_wildcard, 0, norm, &np);
    if (rc != 0) {
        fprintf(stderr, "shomei issue: %s: %s / %s %s\n", np.code ? np.code : "name",
                np.msg_ja ? np.msg_ja : "名前を確認できません",
                np.msg_en ? np.msg_en : "cannot check the name", name);
        return -1;
    }
    for (int i = 0; i < j->nnames; i++)
        if (strcmp(j->names[i], norm) == 0) {
            fail_msg("名前が重複しています", "duplicate name", name, NULL);
            return -1;
        }
    if (j->nnames >= MAX_NAMES || (j->names[j->nnames] = strdup(norm)) == NULL)
        return -1;
    j->nnames++;
    return 0;
}

static void job_clear(struct job *j)
{
    free(j->csr_path);
    EVP_PKEY_free(j->key);
    X509_PUBKEY_free(j->spki);
    for (int i = 0; i < j->nnames; i++)
        free(j->names[i]);
    memset(j, 0, sizeof *j);
}

/* Splits a batch line "CSRFILE NAME [NAME...]" into j. 0, 1 (blank/comment), -1. */
static int parse_line(char *line, struct job *j, int allow_wildcard)
{
    char *save = NULL;
    char *tok = strtok_r(line, " \t\r\n", &save);
    if (tok == NULL || tok[0] == '#')
        return 1;
    if ((j->csr_path = strdup(tok)) == NULL)
        return -1;
    while ((tok = strtok_r(NULL, " \t\r\n", &save)) != NULL)
        if (add_name(j, tok, allow_wildcard) < 0)
            return -1;
    if (j->nnames == 0) {
        fail_msg("名前がありません", "no names", j->csr_path, NULL);
        return -1;
    }
    return 0;
}

/* The CSR check of a batch (the most expensive step of bulk issuance), shared by the
 * threads that take part: each claims the next unchecked CSR through an atomic counter, so
 * a thread that joins late (the calling thread, once the CA key is open) takes its share of
 * what is left and none idles while another has work. `ready` is set once jobs and n are. */
struct csr_pool {
    struct job *jobs;
    size_t n;
    atomic_size_t next;
    atomic_int failed;
    atomic_int ready;
};

static void *csr_pool_work(void *arg)
{
    struct csr_pool *p = arg;
    for (size_t i; (i = atomic_fetch_add(&p->next, 1)) < p->n;)
        if (load_csr(&p->jobs[i]) < 0)
            atomic_store(&p->failed, 1);
    return NULL;
}

/* Every thread of a run prepares its own heap first (core/heap): THREAD_HEAP holds its
 * share of the checked CSRs' keys or of the signed certificates of a run of thousands. */
#define THREAD_HEAP ((size_t)16 << 20)
static void thread_heap(void) { heap_for_thread(THREAD_HEAP); }

static void *csr_pool_thread(void *arg)
{
    thread_heap();
    return csr_pool_work(arg);
}

/* Joins the check of p if its CSRs are known by now; returns when none is left to claim. */
static void csr_pool_join(struct csr_pool *p)
{
    if (atomic_load(&p->ready))
        csr_pool_work(p);
}

/* Checks jobs[0..n) in the calling thread and `helpers` more (at most 7; none for a small
 * batch), returning when they are done; a thread joining through csr_pool_join may still
 * be on its last CSR. The verdict is p->failed once every thread is done. */
static void csr_pool_run(struct csr_pool *p, struct job *jobs, size_t n, int helpers)
{
    pthread_t th[7];
    int started[7] = {0};
    if (helpers < 0 || n < 64)
        helpers = 0;
    if (helpers > 7)
        helpers = 7;
    p->jobs = jobs;
    p->n = n;
    atomic_store(&p->ready, 1);
    for (int t = 0; t < helpers; t++)
        started[t] = pthread_create(&th[t], NULL, csr_pool_thread, p) == 0;
    csr_pool_work(p);
    for (int t = 0; t < helpers; t++)
        if (started[t])
            pthread_join(th[t], NULL);
}

/* Reads the batch (or the one --csr) into *out, *n, and checks the CSRs in the pool p with
 * `helpers` more threads. -1 after printing why when a line is wrong; a CSR refused sets
 * p->failed (told after every thread is done). */
static int load_jobs(const struct opts *o, struct csr_pool *p, int helpers, struct job **out,
                     size_t *n)
{
    int wild = strcmp(o->level, "ev") != 0;
    size_t cap = 16, count = 0;
    struct job *v = sm_calloc(cap, sizeof *v);
    if (v == NULL)
        return -1;
    *out = v;
    if (o->csr != NULL) {
        v[0].csr_path = strdup(o->csr);
        *n = 1;
        if (v[0].csr_path == NULL)
            return -1;
        for (int i = 0; i < o->nnames; i++)
            if (add_name(&v[0], o->names[i], wild) < 0)
                return -1;
        if (load_csr(&v[0]) < 0)
            atomic_store(&p->failed, 1);
        return 0;
    }
    FILE *f = fopen(o->batch, "r");
    if (f == NULL) {
        fail_msg("一括ファイルを読めません", "cannot read the batch file", o->batch, NULL);
        return -1;
    }
    char line[8192];
    int rc = 0;
    while (rc == 0 && fgets(line, sizeof line, f) != NULL) {
        if (count == cap) {
            struct job *nv = sm_realloc(v, cap * 2 * sizeof *v);
            if (nv == NULL) {
                rc = -1;
                break;
            }
            memset(nv + cap, 0, cap * sizeof *v);
            *out = v = nv;
            cap *= 2;
        }
        *n = count + 1;
        int r = parse_line(line, &v[count], wild);
        if (r < 0)
            rc = -1;
        else if (r == 0)
            count++;
        *n = count + (rc < 0);
    }
    fclose(f);
    if (rc == 0)
        csr_pool_run(p, v, count, helpers);
    return rc;
}

int cli_weak_keys(const struct config *c, struct sm_err *e)
{
    const char *f = config_str(c, "ca", "debian_weak_keys");
    if (f == NULL || f[0] == '\0')
        return 0;
    char path[4096];
    if (f[0] == '/')
        snprintf(path, sizeof path, "%s", f);
    else /* relative to the data directory */
        snprintf(path, sizeof path, "%s/%s", config_dir(c), f);
    size_t count = 0, bad = 0;
    int rc = weakkey_debian_use_file(path, &count, &bad);
    if (rc < 0) {
        if (bad > 0)
            sm_err_set(e, -rc, "debian_weak_keys", "%s: line %zu is not \"<bits> <20 hex digits>\"",
                       path, bad);
        else
            sm_err_set(e, -rc, "debian_weak_keys", "%s: cannot read", path);
        return -1;
    }
    char num[24];
    snprintf(num, sizeof num, "%zu", count);
    log_info("Debian weak-key list loaded", "file", path, "entries", num);
    return 0;
}

/* Writes the stored DER as PEM (no re-parsing: the bytes are what the database holds). */
static int write_pem(const struct opts *o, const struct issuance_item *it)
{
    if (o->out == NULL)
        return PEM_write(stdout, "CERTIFICATE", "", it->der, (long)it->der_len) > 0 ? 0 : -1;
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.pem", o->out, it->serial);
    FILE *f = fopen(path, "wx");
    if (f == NULL)
        return -1;
    int rc = PEM_write(f, "CERTIFICATE", "", it->der, (long)it->der_len) > 0 ? 0 : -1;
    if (fclose(f) != 0)
        rc = -1;
    return rc;
}

/* Why opening failed, told after the CSR check (open_ca may run beside it). */
struct open_fail {
    const char *ja, *en, *what;
    struct sm_err e;
    int production; /* the CAs are production CAs */
};

static int open_failed(struct open_fail *f, const char *ja, const char *en, const char *what,
                       const struct sm_err *e)
{
    f->ja = ja;
    f->en = en;
    f->what = what;
    if (e != NULL)
        f->e = *e;
    return -1;
}

static void open_fail_print(const struct open_fail *f, const struct opts *o)
{
    if (f->production)
        fprintf(stderr,
                "shomei issue: 本番の CA では注文なしに発行できません。ドメイン認証と CAA の確認を"
                "経るよう、ポータルまたは API から申請してください（このコマンドは shomei init "
                "--test-ca で作った試験用データディレクトリ専用です）。何も発行していません / "
                "refused: the CAs of %s are production CAs; certificates need validated domains "
                "and a CAA check, so apply through the portal or the API (this command signs "
                "only in a data directory made with shomei init --test-ca). Nothing was "
                "issued.\n",
                o->dir);
    else if (f->ja != NULL)
        fail_msg(f->ja, f->en, f->what, &f->e);
}

/* Opens the database and the issuing CA (its key decrypted); prints nothing: a failure is
 * kept in *f. */
static int open_ca(const struct opts *o, struct config *c, struct db **db, struct ca_issuer **is,
                   struct open_fail *f)
{
    struct sm_err e = {0};
    if (db_open(config_str(c, "database", "url"), o->dir, db, &e) < 0 || db_migrate(*db, &e) < 0)
        return open_failed(f, "データベースを開けません", "cannot open the database", NULL, &e);
    if (issuer_load(*db, c, o->level, o->root, is, &e) < 0)
        return open_failed(f, "発行 CA を読み込めません", "cannot load the issuing CA", o->level,
                           &e);
    if (!(*is)->test) {
        f->production = 1;
        return -1;
    }
    return 0;
}

/* Marks the reservations of ended processes abandoned (after the CSRs passed, before
 * anything is reserved). 0, or -1 after printing why. */
static int recover(struct config *c, struct db *db)
{
    struct sm_err e = {0};
    int64_t abandoned = 0;
    if (issuance_recover_cfg(db, c, "cli", &abandoned, &e) < 0) {
        fail_msg("予約済みシリアルを回復できません", "cannot recover reserved serials", NULL, &e);
        return -1;
    }
    if (abandoned > 0)
        fprintf(stderr,
                "shomei issue: %lld reserved serial(s) of ended processes marked "
                "abandoned\n",
                (long long)abandoned);
    return 0;
}

/* The compromised-key blocklist (BR 6.1.1.3, issue 8 item 23), before any serial is
 * reserved: -1 after printing every listed key (or a failed lookup). The lookups share one
 * read transaction (on SQLite one snapshot and lock for the batch, not one per key); when
 * it cannot be opened, or a lookup fails in it, each lookup runs on its own. */
static int blocklisted(struct db *db, const struct job *jobs, size_t n)
{
    struct sm_err e = {0};
    int rc = 0;
    int tx = n > 1 && db_begin_read(db, &e) == 0;
    for (size_t i = 0; i < n; i++) {
        int r = ra_keyblock_lookup(db, NULL, jobs[i].spki_hex);
        if (r < 0 && tx) { /* a failed statement ends a PostgreSQL transaction: go on without */
            db_rollback(db);
            tx = 0;
            r = ra_keyblock_lookup(db, NULL, jobs[i].spki_hex);
        }
        if (r != 0) {
            fail_msg(r > 0 ? "危殆化した鍵として登録されています"
                           : "鍵の危殆化チェックができません",
                     r > 0 ? "the key is listed as compromised"
                           : "the compromised-key check could not be run",
                     jobs[i].csr_path, NULL);
            rc = -1;
        }
    }
    if (tx)
        db_rollback(db);
    return rc;
}

/* The certificates of each batch written as soon as it is stored (issuance_opts
 * delivered), so a long run's output starts with its first batch and holds no more than a
 * few batches in memory; told in input order once the run ends. */
struct delivery {
    const struct opts *o;
    const struct issuance_item *items;
    unsigned char *unwritten; /* per item: handed out, and could not be written */
};

static void deliver(void *arg, struct issuance_item *b, size_t m)
{
    struct delivery *d = arg;
    for (size_t i = 0; i < m; i++) {
        if (b[i].rc != 0 || b[i].der == NULL)
            continue;
        d->unwritten[&b[i] - d->items] = write_pem(d->o, &b[i]) < 0;
        OPENSSL_free(b[i].der);
        b[i].der = NULL;
    }
}

static int issue_all(const struct opts *o, struct config *c, struct db *db, struct ca_issuer *is,
                     struct job *jobs, size_t n)
{
    struct sm_err e = {0};
    int64_t batch = 500;
    if (config_int(c, "issue", "batch", 1, 10000, &batch, &e) < 0) {
        fail_msg("設定が正しくありません", "invalid setting", NULL, &e);
        return 1;
    }
    int has_subj = o->subj.o || o->subj.l || o->subj.st || o->subj.c || o->subj.serial_number;
    struct issuance_item *items = sm_calloc(n ? n : 1, sizeof *items);
    if (items == NULL)
        return 1;
    struct profile_subject *subjs = sm_calloc(n ? n : 1, sizeof *subjs);
    unsigned char *unwritten = sm_calloc(n ? n : 1, 1);
    if (subjs == NULL || unwritten == NULL) {
        free(items);
        free(subjs);
        free(unwritten);
        return 1;
    }
    for (size_t i = 0; i < n; i++) {
        subjs[i] = o->subj;
        subjs[i].cn = jobs[i].names[0];
        items[i].pubkey = jobs[i].key;
        items[i].spki = jobs[i].spki;
        items[i].names = (const char *const *)jobs[i].names;
        items[i].nnames = (size_t)jobs[i].nnames;
        items[i].subj = has_subj || strcmp(o->level, "dv") != 0 ? &subjs[i] : NULL;
        items[i].days = o->days;
        items[i].allow_wildcard = strcmp(o->level, "ev") != 0;
    }
    struct delivery d = {o, items, unwritten};
    struct issuance_opts io = {"cli", (int)batch, o->threads, NULL, NULL, thread_heap, deliver, &d};
    int rc = issuance_run(db, is, &io, items, n, &e);
    int status = rc < 0 ? 1 : 0;
    if (rc < 0)
        fail_msg("発行を完了できません", "issuance did not complete", NULL, &e);
    for (size_t i = 0; i < n; i++) {
        if (items[i].rc < 0) {
            status = 1;
            fail_msg("証明書を発行できません", "certificate not issued", jobs[i].names[0],
                     &items[i].err);
        } else if (unwritten[i] || (items[i].der != NULL && write_pem(o, &items[i]) < 0)) {
            status = 1;
            fail_msg("証明書を書き出せません (保存済み)",
                     "cannot write the certificate (it is stored)", items[i].serial, NULL);
        }
        issuance_item_clear(&items[i]);
    }
    free(items);
    free(subjs);
    free(unwritten);
    return status;
}

/* Phase timing for SHOMEI_ISSUE_TIMING: wall and process CPU seconds. */
struct phase {
    double wall, cpu;
};

static struct phase phase_now(void)
{
    struct timespec w, c;
    clock_gettime(CLOCK_MONOTONIC, &w);
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c);
    return (struct phase){w.tv_sec + w.tv_nsec / 1e9, c.tv_sec + c.tv_nsec / 1e9};
}

/* The calling thread runs open_ca: the CA key's decryption (a fixed cost of every run:
 * scrypt, 32 MiB) takes its memory from the heap heap_for_batch prepared, which only the
 * calling thread uses, and with one thread the checked CSRs then reuse that memory. With
 * two threads or more the CSR check runs beside it in a thread of its own (load_jobs, with
 * threads - 2 helpers) and the calling thread joins the check once the key is open, so
 * the run keeps `threads` threads busy, never more. open_ca writes nothing but a pending
 * schema migration and says nothing; recovery and every message wait for the CSRs, so a
 * run with a bad CSR tells only that, whatever the number of threads. */
struct opener {
    const struct opts *o;
    struct config *c;
    struct db *db;
    struct ca_issuer *is;
    struct open_fail fail;
    int rc;
    struct phase took; /* wall and CPU of this thread */
};

static double thread_cpu(void)
{
    struct timespec c;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c);
    return c.tv_sec + c.tv_nsec / 1e9;
}

static void opener_run(struct opener *p)
{
    struct phase a = phase_now();
    double cpu = thread_cpu();
    p->rc = open_ca(p->o, p->c, &p->db, &p->is, &p->fail);
    p->took = (struct phase){phase_now().wall - a.wall, thread_cpu() - cpu};
}

struct loader {
    const struct opts *o;
    struct csr_pool pool;
    int helpers;
    struct job *jobs;
    size_t n;
    int rc;
    struct phase start; /* when the check began */
};

static void *loader_run(void *arg)
{
    struct loader *l = arg;
    l->start = phase_now();
    l->rc = load_jobs(l->o, &l->pool, l->helpers, &l->jobs, &l->n);
    return NULL;
}

/* The loader in a thread of its own, beside the CA key's decryption. */
static void *loader_thread(void *arg)
{
    thread_heap();
    return loader_run(arg);
}

static void phase_print(const char *name, struct phase from, struct phase to, size_t n)
{
    if (getenv("SHOMEI_ISSUE_TIMING") == NULL || n == 0)
        return;
    fprintf(stderr, "timing: %-36s wall %8.1f ms  cpu %8.1f ms  cpu/cert %7.1f us\n", name,
            (to.wall - from.wall) * 1e3, (to.cpu - from.cpu) * 1e3,
            (to.cpu - from.cpu) * 1e6 / (double)n);
}

int cmd_issue(int argc, char **argv)
{
    struct opts o = {0};
    if (parse_args(argc, argv, &o) < 0)
        return usage();
    int huge = heap_for_batch(ISSUE_HEAP);
    struct config *c = NULL;
    struct db *db = NULL;
    struct ca_issuer *is = NULL;
    struct job *jobs = NULL;
    size_t n = 0;
    int status = 1;
    struct phase t0 = phase_now(), t1 = {0, 0}, t2, t3, checked = {0, 0};
    int timed = 0; /* the run got to issuance: its phases are told */
    struct sm_err e = {0};
    if (config_load(o.dir, &c, &e) < 0) {
        fail_msg("設定を読めません", "cannot read the configuration", o.dir, &e);
        goto out;
    }
    if (cli_weak_keys(c, &e) < 0) {
        fail_msg("弱い鍵の一覧を読めません", "cannot read the weak-key list", NULL, &e);
        goto out;
    }
    t1 = phase_now();
    struct opener op = {.o = &o, .c = c, .rc = -1};
    struct loader ld = {.o = &o, .rc = -1, .helpers = o.threads - 2};
    pthread_t lth;
    int beside = o.threads >= 2 && pthread_create(&lth, NULL, loader_thread, &ld) == 0;
    if (beside) {
        opener_run(&op); /* the main thread's allocations come from the advised heap */
        csr_pool_join(&ld.pool);
        pthread_join(lth, NULL);
    } else { /* the same order: scrypt's memory, once freed, holds the checked CSRs */
        ld.helpers = o.threads - 1;
        opener_run(&op);
        loader_run(&ld);
    }
    checked = phase_now();
    if (ld.rc == 0 && atomic_load(&ld.pool.failed))
        ld.rc = -1; /* told by the thread that found it */
    jobs = ld.jobs;
    n = ld.n;
    int loaded = ld.rc;
    db = op.db;
    is = op.is;
    if (loaded < 0)
        goto out; /* nothing reserved: every input is checked first */
    if (op.rc < 0) {
        open_fail_print(&op.fail, &o);
        goto out;
    }
    if (recover(c, db) < 0)
        goto out;
    if (o.out != NULL && mkdir(o.out, 0755) < 0 && errno != EEXIST) {
        fail_msg("出力ディレクトリを作れません", "cannot create the output directory", o.out, NULL);
        goto out;
    }
    if (blocklisted(db, jobs, n) < 0)
        goto out;
    t2 = phase_now();
    status = issue_all(&o, c, db, is, jobs, n);
    t3 = phase_now();
    timed = 1;
    /* the check's CPU is the process's while it ran, less the open's beside it; beside
     * the open it began when its thread was asked for (its start is the check's time) */
    double beside_cpu = beside ? op.took.cpu : 0;
    struct phase check_from = beside ? t1 : ld.start;
    phase_print("start (configuration, weak-key list)", t0, t1, n);
    phase_print("read and check CSRs", check_from,
                (struct phase){checked.wall, checked.cpu - beside_cpu}, n);
    phase_print("open (database, CA key decryption)", (struct phase){0, 0}, op.took, n);
    phase_print("recovery, compromised-key lookups", checked, t2, n);
    phase_print("reserve, build, lint, sign, store", t2, t3, n);
out:
    for (size_t i = 0; i < n; i++)
        job_clear(&jobs[i]);
    free(jobs);
    ca_issuer_free(is);
    db_close(db);
    config_free(c);
    if (timed) {
        phase_print("close (memory, database)", t3, phase_now(), n);
        if (getenv("SHOMEI_ISSUE_TIMING") != NULL)
            fprintf(stderr, "timing: heap of %zu MiB on huge pages: %s\n", ISSUE_HEAP >> 20,
                    huge ? "advised" : "no (not the C library's heap, or no huge pages)");
    }
    return status;
}
