/* SPDX-License-Identifier: MIT */
/* shomei backup --dir DIR --out FILE and shomei restore --dir NEWDIR --from FILE (R-OPS-1).
 *
 * backup runs beside a live server: the database is copied in one snapshot (store/backup:
 * SQLite's online backup API, or pg_dump on an exported snapshot) and every other file of
 * the data directory (shomei.ini, keys/, repository/, ...) is taken as it is. The file is
 *
 *   shomei-backup 1\n
 *   F MODE SIZE SHA256 NAME\n <SIZE bytes>        one per file; NAME "@database" is the copy
 *   M SIZE SHA256\n <SIZE bytes of JSON>           the manifest
 *   E SHA256\n                                     digest of every byte before this line
 *
 * The manifest names the data directory's identity (SHA-256 of its root A certificate),
 * the time, the backend, the schema (newest migration), the counts of certificates, orders
 * and audit records in the copied snapshot, and each file with its size and digest.
 *
 * restore reads the whole file once to check it (a truncated, altered or foreign file is
 * refused before anything is written), then writes NEWDIR (new or empty; or, with
 * --replace, a data directory of the same CA whose server is stopped) and the database
 * (SQLite: the file shomei.ini names; PostgreSQL: psql into an empty database,
 * --database-url or the URL of the backed-up shomei.ini), and compares the restored
 * database's counts with the manifest's. Exit 0 done, 1 refused or failed, 2 usage. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdarg.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/sha256.h"
#include "core/text.h"
#include "store/backup.h"

#define MAGIC        "shomei-backup 1\n"
#define DB_ENTRY     "@database"
#define IDENTITY_REL "repository/root-a.crt"
#define MAX_FILES    4096
#define PATHN        4096

static int bk_usage(void)
{
    fprintf(stderr, "usage: shomei backup --dir DIR --out FILE\n");
    return 2;
}

static int rs_usage(void)
{
    fprintf(stderr, "usage: shomei restore --dir NEWDIR --from FILE [--database-url URL] "
                    "[--replace]\n");
    return 2;
}

/* snprintf that says when it cut: 0, or -1 (out holds the cut text). */
static int pathf(char *out, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int pathf(char *out, size_t n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(out, n, fmt, ap);
    va_end(ap);
    return k < 0 || (size_t)k >= n ? -1 : 0;
}

/* ---- digests ---- */

static void hex32(const unsigned char md[32], char out[65]) { text_hex(out, md, 32); }

static int file_sha256(const char *path, char out[65], long long *size)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return -1;
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    int ok = c != NULL && EVP_DigestInit_ex(c, EVP_sha256(), NULL);
    unsigned char buf[65536], md[32];
    size_t n;
    long long total = 0;
    while (ok && (n = fread(buf, 1, sizeof buf, f)) > 0) {
        ok = EVP_DigestUpdate(c, buf, n);
        total += (long long)n;
    }
    ok = ok && !ferror(f) && EVP_DigestFinal_ex(c, md, NULL);
    EVP_MD_CTX_free(c);
    fclose(f);
    if (!ok)
        return -1;
    hex32(md, out);
    if (size)
        *size = total;
    return 0;
}

/* The data directory's identity: the digest of its root A certificate. */
static int dir_identity(const char *dir, char out[65])
{
    char p[PATHN];
    pathf(p, sizeof p, "%s/%s", dir, IDENTITY_REL);
    return file_sha256(p, out, NULL);
}

/* ---- the writer: everything written goes through the running digest ---- */

struct out {
    FILE *f;
    EVP_MD_CTX *md;
    int bad;
};

static void put(struct out *o, const void *p, size_t n)
{
    if (o->bad || n == 0)
        return;
    if (fwrite(p, 1, n, o->f) != n || !EVP_DigestUpdate(o->md, p, n))
        o->bad = 1;
}

static void putf(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void putf(struct out *o, const char *fmt, ...)
{
    char line[PATHN + 200];
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (k < 0 || (size_t)k >= sizeof line)
        o->bad = 1;
    else
        put(o, line, (size_t)k);
}

/* Appends one file as an F entry and lists it in files (name, size, sha256). */
static int add_file(struct out *o, json_t *files, const char *path, const char *name, int mode)
{
    char sum[65];
    long long size;
    if (file_sha256(path, sum, &size) < 0) {
        fprintf(stderr, "shomei backup: cannot read %s: %s\n", path, strerror(errno));
        return -1;
    }
    putf(o, "F %o %lld %s %s\n", (unsigned)(mode & 0777), size, sum, name);
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return -1;
    unsigned char buf[65536];
    size_t n;
    long long left = size;
    while (left > 0 && (n = fread(buf, 1, sizeof buf, f)) > 0) {
        if ((long long)n > left)
            n = (size_t)left;
        put(o, buf, n);
        left -= (long long)n;
    }
    fclose(f);
    if (left != 0) {
        fprintf(stderr, "shomei backup: %s changed while it was read\n", path);
        return -1;
    }
    json_array_append_new(
        files, json_pack("{s:s, s:I, s:s}", "name", name, "size", (json_int_t)size, "sha256", sum));
    return 0;
}

struct walk {
    struct out *o;
    json_t *files;
    const char *skip[4]; /* absolute paths not taken: the database and its journals */
    dev_t out_dev;
    ino_t out_ino; /* the backup file itself when written inside DIR */
    int nfiles;
};

static int skipped(const struct walk *w, const char *path, const struct stat *st)
{
    if (st->st_dev == w->out_dev && st->st_ino == w->out_ino)
        return 1;
    for (int i = 0; i < 4 && w->skip[i]; i++) {
        size_t n = strlen(w->skip[i]);
        if (strncmp(path, w->skip[i], n) == 0 &&
            (path[n] == '\0' || strcmp(path + n, "-wal") == 0 || strcmp(path + n, "-shm") == 0 ||
             strcmp(path + n, "-journal") == 0))
            return 1;
    }
    return 0;
}

/* Every regular file under root/rel, in name order. */
static int walk_dir(struct walk *w, const char *root, const char *rel)
{
    char path[PATHN];
    pathf(path, sizeof path, "%s%s%s", root, *rel ? "/" : "", rel);
    struct dirent **names = NULL;
    int n = scandir(path, &names, NULL, alphasort);
    if (n < 0) {
        fprintf(stderr, "shomei backup: cannot list %s: %s\n", path, strerror(errno));
        return -1;
    }
    int rc = 0;
    for (int i = 0; i < n; i++) {
        const char *d = names[i]->d_name;
        if (rc == 0 && strcmp(d, ".") != 0 && strcmp(d, "..") != 0) {
            char r[PATHN], full[PATHN];
            int k = pathf(r, sizeof r, "%s%s%s", rel, *rel ? "/" : "", d);
            k |= pathf(full, sizeof full, "%s/%s", root, r);
            struct stat st;
            if (k < 0 || strchr(d, '\n') != NULL) {
                fprintf(stderr, "shomei backup: file name not taken: %s\n", full);
                rc = -1;
            } else if (lstat(full, &st) < 0) {
                rc = -1;
            } else if (S_ISDIR(st.st_mode)) {
                rc = walk_dir(w, root, r);
            } else if (S_ISREG(st.st_mode) && !skipped(w, full, &st)) {
                if (++w->nfiles > MAX_FILES) {
                    fprintf(stderr, "shomei backup: more than %d files\n", MAX_FILES);
                    rc = -1;
                } else {
                    rc = add_file(w->o, w->files, full, r, (int)st.st_mode);
                }
            }
        }
        free(names[i]);
    }
    free(names);
    return rc;
}

int cmd_backup(int argc, char **argv)
{
    const char *dir = NULL, *outp = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc && dir == NULL)
            dir = argv[++i];
        else if (strcmp(argv[i], "--out") == 0 && i + 1 < argc && outp == NULL)
            outp = argv[++i];
        else
            return bk_usage();
    }
    if (dir == NULL || outp == NULL || *dir == '\0' || *outp == '\0')
        return bk_usage();
    struct sm_err e = {0};
    struct config *cfg = NULL;
    if (config_load(dir, &cfg, &e) < 0) {
        fprintf(stderr, "shomei backup: %s\n", e.detail);
        return 1;
    }
    char ident[65], absdir[PATHN], dbfile[PATHN] = "", tmp[PATHN + 16], sum[65];
    const char *url = config_str(cfg, "database", "url");
    int pg = backup_is_pg(url), status = 1;
    if (realpath(dir, absdir) == NULL || dir_identity(absdir, ident) < 0) {
        fprintf(stderr, "shomei backup: %s is not a data directory (no %s)\n", dir, IDENTITY_REL);
        config_free(cfg);
        return 1;
    }
    if (!pg && backup_sqlite_file(url, absdir, dbfile, sizeof dbfile) < 0) {
        fprintf(stderr, "shomei backup: [database] url: cannot back up %s\n", url);
        config_free(cfg);
        return 1;
    }
    /* The output is written beside its final name and renamed when complete. */
    pathf(tmp, sizeof tmp, "%s.partial", outp);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (fd < 0) {
        fprintf(stderr, "shomei backup: cannot create %s: %s\n", tmp, strerror(errno));
        config_free(cfg);
        return 1;
    }
    struct out o = {.f = fdopen(fd, "wb"), .md = EVP_MD_CTX_new()};
    char dbcopy[PATHN + 16];
    pathf(dbcopy, sizeof dbcopy, "%s.db", tmp);
    unlink(dbcopy);
    struct backup_facts facts;
    json_t *files = json_array();
    int rc = o.f && o.md && EVP_DigestInit_ex(o.md, EVP_sha256(), NULL) ? 0 : -1;
    put(&o, MAGIC, strlen(MAGIC));
    /* The database first: its snapshot is the point in time of the backup. */
    if (rc == 0)
        rc = pg ? backup_pg_dump(url, dbcopy, &facts, &e)
                : backup_sqlite_copy(url, absdir, dbcopy, &facts, &e);
    if (rc < 0 && e.detail[0])
        fprintf(stderr, "shomei backup: database: %s\n", e.detail);
    if (rc == 0)
        rc = add_file(&o, files, dbcopy, DB_ENTRY, 0600);
    unlink(dbcopy);
    struct stat ost;
    struct walk w = {.o = &o, .files = files, .skip = {dbfile[0] ? dbfile : NULL}};
    if (rc == 0 && fstat(fd, &ost) == 0) {
        w.out_dev = ost.st_dev;
        w.out_ino = ost.st_ino;
        rc = walk_dir(&w, absdir, "");
    }
    char when[32];
    clock_format_utc(time(NULL), when, sizeof when);
    json_t *m = json_pack("{s:i, s:s, s:s, s:s, s:s, s:s, s:I, s:{s:I, s:I, s:I}, s:o}", "format",
                          1, "created", when, "identity", ident, "source_dir", absdir, "backend",
                          pg ? "pg" : "sqlite", "schema", facts.schema, "migrations",
                          (json_int_t)facts.migrations, "counts", "certificates",
                          (json_int_t)facts.certificates, "orders", (json_int_t)facts.orders,
                          "audit_records", (json_int_t)facts.audit_records, "files", files);
    files = NULL;
    char *mtext = m && rc == 0 ? json_dumps(m, JSON_INDENT(1) | JSON_SORT_KEYS) : NULL;
    if (rc == 0 && mtext == NULL)
        rc = -1;
    if (rc == 0) {
        unsigned char md[32];
        size_t n = strlen(mtext);
        if (sha256_digest(mtext, n, md) < 0)
            o.bad = 1;
        hex32(md, sum);
        putf(&o, "M %zu %s\n", n, sum);
        put(&o, mtext, n);
        unsigned char all[32];
        if (!o.bad && EVP_DigestFinal_ex(o.md, all, NULL)) {
            hex32(all, sum);
            char end[80];
            pathf(end, sizeof end, "E %s\n", sum);
            if (fwrite(end, 1, strlen(end), o.f) != strlen(end))
                o.bad = 1;
        } else {
            o.bad = 1;
        }
    }
    if (o.f && (fflush(o.f) != 0 || fsync(fileno(o.f)) != 0))
        o.bad = 1;
    if (o.f)
        fclose(o.f);
    else
        close(fd);
    if (rc == 0 && !o.bad && rename(tmp, outp) == 0) {
        printf("backup written: %s (%s, schema %s, %lld certificates, %lld orders, %lld audit "
               "records, %d files)\n",
               outp, pg ? "pg" : "sqlite", facts.schema, (long long)facts.certificates,
               (long long)facts.orders, (long long)facts.audit_records, w.nfiles);
        status = 0;
    } else {
        if (o.bad)
            fprintf(stderr, "shomei backup: cannot write %s: %s\n", tmp, strerror(errno));
        unlink(tmp);
    }
    free(mtext);
    json_decref(m);
    json_decref(files);
    EVP_MD_CTX_free(o.md);
    config_free(cfg);
    return status;
}

/* ---- the reader ---- */

struct in {
    FILE *f;
    EVP_MD_CTX *md;
    const char *path;
};

/* One header line (without the newline) into line; hashed. -1 at EOF or a bad line. */
static int get_line(struct in *r, char *line, size_t n)
{
    if (fgets(line, (int)n, r->f) == NULL)
        return -1;
    size_t k = strlen(line);
    if (k == 0 || line[k - 1] != '\n')
        return -1;
    EVP_DigestUpdate(r->md, line, k);
    line[k - 1] = '\0';
    return 0;
}

/* Reads size bytes, hashing them into both digests; writes them to w when not NULL. */
static int get_body(struct in *r, long long size, EVP_MD_CTX *own, FILE *w)
{
    unsigned char buf[65536];
    while (size > 0) {
        size_t want = size > (long long)sizeof buf ? sizeof buf : (size_t)size;
        size_t n = fread(buf, 1, want, r->f);
        if (n == 0)
            return -1;
        EVP_DigestUpdate(r->md, buf, n);
        EVP_DigestUpdate(own, buf, n);
        if (w != NULL && fwrite(buf, 1, n, w) != n)
            return -2;
        size -= (long long)n;
    }
    return 0;
}

/* A NAME from the file may only name a path inside the directory. */
static int name_ok(const char *name)
{
    if (strcmp(name, DB_ENTRY) == 0)
        return 1;
    if (name[0] == '\0' || name[0] == '/' || strstr(name, "//") != NULL)
        return 0;
    for (const char *p = name; *p;) {
        size_t n = strcspn(p, "/");
        if ((n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
            return 0;
        p += n;
        if (*p == '/')
            p++;
    }
    return 1;
}

static int mkparents(const char *path)
{
    char p[PATHN];
    pathf(p, sizeof p, "%s", path);
    for (char *s = p + 1; *s; s++)
        if (*s == '/') {
            *s = '\0';
            if (mkdir(p, 0700) < 0 && errno != EEXIST)
                return -1;
            *s = '/';
        }
    return 0;
}

struct restore {
    const char *dir;    /* target */
    char dbpath[PATHN]; /* where @database goes; "" = a PostgreSQL dump */
    char dumpfile[PATHN];
    json_t *manifest;
    int files;
};

/* One pass over the file. check: verify only. Otherwise write each entry to its place. */
static int pass(const char *path, struct restore *rs, int write, char *why, size_t whyn)
{
    struct in r = {.f = fopen(path, "rb"), .md = EVP_MD_CTX_new(), .path = path};
    EVP_MD_CTX *own = EVP_MD_CTX_new();
    char line[PATHN + 200];
    int rc = -1, seen_end = 0;
    json_t *listed = NULL;
    rs->files = 0;
    if (r.f == NULL || r.md == NULL || own == NULL) {
        pathf(why, whyn, "cannot read %s: %s", path, strerror(errno));
        goto out;
    }
    EVP_DigestInit_ex(r.md, EVP_sha256(), NULL);
    if (get_line(&r, line, sizeof line) < 0 || strcmp(line, "shomei-backup 1") != 0) {
        pathf(why, whyn, "not a shomei backup file");
        goto out;
    }
    for (;;) {
        /* The end line is not part of the digest it carries: read it raw. */
        long pos = ftell(r.f);
        if (fgets(line, sizeof line, r.f) == NULL) {
            pathf(why, whyn, "the file is truncated (no end record)");
            goto out;
        }
        size_t k = strlen(line);
        if (k == 0 || line[k - 1] != '\n') {
            pathf(why, whyn, "the file is truncated or damaged at byte %ld", pos);
            goto out;
        }
        line[k - 1] = '\0';
        if (line[0] == 'E' && line[1] == ' ') {
            unsigned char md[32];
            char sum[65];
            EVP_DigestFinal_ex(r.md, md, NULL);
            hex32(md, sum);
            if (strcmp(line + 2, sum) != 0) {
                pathf(why, whyn, "the file's digest does not match (altered or damaged)");
                goto out;
            }
            if (fgetc(r.f) != EOF) {
                pathf(why, whyn, "data after the end record");
                goto out;
            }
            seen_end = 1;
            break;
        }
        EVP_DigestUpdate(r.md, line, k - 1);
        EVP_DigestUpdate(r.md, "\n", 1);
        unsigned mode = 0;
        long long size = -1;
        char sum[65] = "", *name = NULL;
        char *sp1, *sp2, *sp3, *sp4 = NULL;
        if (line[0] == 'F' && line[1] == ' ') {
            mode = (unsigned)strtoul(line + 2, &sp1, 8);
            size = strtoll(sp1, &sp2, 10);
            sp3 = sp2 + (*sp2 == ' ');
            if (strlen(sp3) > 65 && sp3[64] == ' ') {
                memcpy(sum, sp3, 64);
                sum[64] = '\0';
                sp4 = sp3 + 65;
            }
            name = sp4;
        } else if (line[0] == 'M' && line[1] == ' ') {
            size = strtoll(line + 2, &sp2, 10);
            if (*sp2 == ' ' && strlen(sp2 + 1) == 64)
                memcpy(sum, sp2 + 1, 65);
        }
        if (size < 0 || sum[0] == '\0' || (line[0] == 'F' && (name == NULL || !name_ok(name)))) {
            pathf(why, whyn, "damaged entry header at byte %ld", pos);
            goto out;
        }
        EVP_DigestInit_ex(own, EVP_sha256(), NULL);
        FILE *w = NULL;
        char *mtext = NULL;
        char dest[PATHN] = "";
        if (line[0] == 'M') {
            if (size > 16 * 1024 * 1024) {
                pathf(why, whyn, "manifest too large");
                goto out;
            }
            mtext = calloc(1, (size_t)size + 1);
            if (mtext == NULL)
                goto out;
            w = fmemopen(mtext, (size_t)size + 1, "wb");
        } else if (write) {
            if (strcmp(name, DB_ENTRY) == 0)
                pathf(dest, sizeof dest, "%s", rs->dbpath[0] ? rs->dbpath : rs->dumpfile);
            else
                pathf(dest, sizeof dest, "%s/%s", rs->dir, name);
            if (mkparents(dest) < 0) {
                pathf(why, whyn, "cannot create the directories of %s", dest);
                goto out;
            }
            unlink(dest);
            int fd = open(dest, O_WRONLY | O_CREAT | O_EXCL, (mode & 0700) | 0600);
            w = fd < 0 ? NULL : fdopen(fd, "wb");
            if (w == NULL) {
                pathf(why, whyn, "cannot create %s: %s", dest, strerror(errno));
                goto out;
            }
        }
        int b = get_body(&r, size, own, w);
        if (w != NULL && fclose(w) != 0)
            b = -2;
        if (b == -1) {
            pathf(why, whyn, "the file is truncated (inside %s)", name ? name : "the manifest");
            free(mtext);
            goto out;
        }
        if (b == -2) {
            pathf(why, whyn, "cannot write %s", dest);
            goto out;
        }
        unsigned char md[32];
        char got[65];
        EVP_DigestFinal_ex(own, md, NULL);
        hex32(md, got);
        if (strcmp(got, sum) != 0) {
            pathf(why, whyn, "%s does not match its digest", name ? name : "the manifest");
            free(mtext);
            goto out;
        }
        if (mtext != NULL) {
            json_decref(rs->manifest);
            rs->manifest = json_loads(mtext, 0, NULL);
            free(mtext);
            if (rs->manifest == NULL) {
                pathf(why, whyn, "the manifest cannot be read");
                goto out;
            }
        } else {
            rs->files++;
        }
    }
    /* Every file the manifest lists was present, and nothing else. */
    listed = json_object_get(rs->manifest, "files");
    if (seen_end && rs->manifest && json_is_array(listed) &&
        json_array_size(listed) == (size_t)rs->files)
        rc = 0;
    else
        pathf(why, whyn, "the manifest does not list the file's entries");
out:
    if (r.f)
        fclose(r.f);
    EVP_MD_CTX_free(r.md);
    EVP_MD_CTX_free(own);
    return rc;
}

static int dir_empty(const char *dir)
{
    DIR *d = opendir(dir);
    if (d == NULL)
        return errno == ENOENT ? 1 : -1;
    struct dirent *x;
    int empty = 1;
    while ((x = readdir(d)) != NULL)
        if (strcmp(x->d_name, ".") != 0 && strcmp(x->d_name, "..") != 0)
            empty = 0;
    closedir(d);
    return empty;
}

/* Rewrites the url line of [database] in DIR/shomei.ini. */
static int set_db_url(const char *dir, const char *url)
{
    char p[PATHN], t[PATHN + 8], line[8192];
    pathf(p, sizeof p, "%s/shomei.ini", dir);
    pathf(t, sizeof t, "%s.new", p);
    FILE *in = fopen(p, "r"), *out = in ? fopen(t, "w") : NULL;
    if (out == NULL) {
        if (in)
            fclose(in);
        return -1;
    }
    int in_db = 0, done = 0;
    while (fgets(line, sizeof line, in)) {
        const char *s = line + strspn(line, " \t");
        if (*s == '[')
            in_db = strncmp(s, "[database]", 10) == 0;
        if (in_db && !done && strncmp(s, "url", 3) == 0 && strchr(" \t=", s[3])) {
            fprintf(out, "url = %s\n", url);
            done = 1;
        } else {
            fputs(line, out);
        }
    }
    fclose(in);
    if (fclose(out) != 0 || !done || rename(t, p) != 0) {
        unlink(t);
        return -1;
    }
    return 0;
}

int cmd_restore(int argc, char **argv)
{
    const char *dir = NULL, *from = NULL, *dburl = NULL;
    int replace = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc && dir == NULL)
            dir = argv[++i];
        else if (strcmp(argv[i], "--from") == 0 && i + 1 < argc && from == NULL)
            from = argv[++i];
        else if (strcmp(argv[i], "--database-url") == 0 && i + 1 < argc && dburl == NULL)
            dburl = argv[++i];
        else if (strcmp(argv[i], "--replace") == 0)
            replace = 1;
        else
            return rs_usage();
    }
    if (dir == NULL || from == NULL || *dir == '\0' || *from == '\0')
        return rs_usage();
    struct restore rs = {.dir = dir};
    char why[PATHN + 100] = "";
    int status = 1;
    struct config *cfg = NULL;
    struct sm_err e = {0};
    /* 1: the whole file is checked before anything is written. */
    if (pass(from, &rs, 0, why, sizeof why) < 0) {
        fprintf(stderr, "shomei restore: %s refused: %s\n", from, why);
        goto out;
    }
    /* pass 2 reads the manifest again: keep copies of what is used after it */
    char ident[80] = "", backend[16] = "";
    const char *mi = json_string_value(json_object_get(rs.manifest, "identity"));
    const char *mb = json_string_value(json_object_get(rs.manifest, "backend"));
    if (mi != NULL && mb != NULL) {
        pathf(ident, sizeof ident, "%s", mi);
        pathf(backend, sizeof backend, "%s", mb);
    }
    if (ident[0] == '\0' || backend[0] == '\0') {
        fprintf(stderr, "shomei restore: %s refused: the manifest has no identity\n", from);
        goto out;
    }
    /* 2: the target: new or empty, or (--replace) a data directory of the same CA. */
    int empty = dir_empty(dir);
    if (empty < 0) {
        fprintf(stderr, "shomei restore: cannot read %s: %s\n", dir, strerror(errno));
        goto out;
    }
    if (!empty) {
        char have[65];
        if (dir_identity(dir, have) < 0) {
            fprintf(stderr, "shomei restore: %s is not empty and not a data directory\n", dir);
            goto out;
        }
        if (strcmp(have, ident) != 0) {
            fprintf(stderr,
                    "shomei restore: %s refused: it is the backup of another data directory "
                    "(root A %.16s..., %s holds root A %.16s...)\n",
                    from, ident, dir, have);
            goto out;
        }
        if (!replace) {
            fprintf(stderr,
                    "shomei restore: %s already holds this CA's data directory; stop its "
                    "server and add --replace to overwrite it\n",
                    dir);
            goto out;
        }
    } else if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
        fprintf(stderr, "shomei restore: cannot create %s: %s\n", dir, strerror(errno));
        goto out;
    }
    int pg = strcmp(backend, "pg") == 0;
    if (pg) {
        pathf(rs.dumpfile, sizeof rs.dumpfile, "%s/.restore-dump.sql", dir);
    } else {
        pathf(rs.dumpfile, sizeof rs.dumpfile, "%s/.restore-db", dir);
    }
    /* 3: the files, then the database. */
    if (pass(from, &rs, 1, why, sizeof why) < 0) {
        fprintf(stderr, "shomei restore: %s\n", why);
        goto out;
    }
    if (dburl != NULL && set_db_url(dir, dburl) < 0) {
        fprintf(stderr, "shomei restore: cannot set [database] url in %s/shomei.ini\n", dir);
        goto out;
    }
    if (config_load(dir, &cfg, &e) < 0) {
        fprintf(stderr, "shomei restore: %s\n", e.detail);
        goto out;
    }
    const char *url = config_str(cfg, "database", "url");
    if (pg != backup_is_pg(url)) {
        fprintf(stderr,
                "shomei restore: the backup holds a %s database but [database] url "
                "names another kind; give --database-url\n",
                backend);
        goto out;
    }
    if (pg) {
        if (backup_pg_load(url, rs.dumpfile, &e) < 0) {
            fprintf(stderr, "shomei restore: database: %s\n", e.detail);
            goto out;
        }
    } else {
        char dbp[PATHN], side[PATHN + 16];
        if (backup_sqlite_file(url, dir, dbp, sizeof dbp) < 0) {
            fprintf(stderr, "shomei restore: [database] url: %s is not an sqlite file\n", url);
            goto out;
        }
        if (mkparents(dbp) < 0 || rename(rs.dumpfile, dbp) < 0) {
            fprintf(stderr, "shomei restore: cannot place the database at %s: %s\n", dbp,
                    strerror(errno));
            goto out;
        }
        pathf(side, sizeof side, "%s-wal", dbp);
        unlink(side);
        pathf(side, sizeof side, "%s-shm", dbp);
        unlink(side);
    }
    /* 4: the restored database holds what the manifest says. */
    struct backup_facts f;
    if (backup_facts_read_url(url, dir, &f, &e) < 0) {
        fprintf(stderr, "shomei restore: cannot read the restored database: %s\n", e.detail);
        goto out;
    }
    json_t *c = json_object_get(rs.manifest, "counts");
    int64_t want_c = json_integer_value(json_object_get(c, "certificates"));
    int64_t want_o = json_integer_value(json_object_get(c, "orders"));
    int64_t want_a = json_integer_value(json_object_get(c, "audit_records"));
    if (f.certificates != want_c || f.orders != want_o || f.audit_records != want_a) {
        fprintf(stderr,
                "shomei restore: the restored database does not hold what the manifest says "
                "(certificates %lld/%lld, orders %lld/%lld, audit records %lld/%lld)\n",
                (long long)f.certificates, (long long)want_c, (long long)f.orders,
                (long long)want_o, (long long)f.audit_records, (long long)want_a);
        goto out;
    }
    printf("restored into %s from %s (made %s, %s, schema %s): %lld certificates, %lld orders, "
           "%lld audit records, %d files\n",
           dir, from, json_string_value(json_object_get(rs.manifest, "created")), backend, f.schema,
           (long long)f.certificates, (long long)f.orders, (long long)f.audit_records,
           rs.files - 1);
    printf("next: shomei audit verify --dir %s; CA keys: the key files came with the backup "
           "(encrypted; the passphrase is not in it); keys in a PKCS#11 token stay in the "
           "token\n",
           dir);
    status = 0;
out:
    if (rs.dumpfile[0])
        unlink(rs.dumpfile);
    config_free(cfg);
    json_decref(rs.manifest);
    return status;
}
