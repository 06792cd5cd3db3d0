/* SPDX-License-Identifier: MIT */
/* shomei user add|list --dir DIR: operators create users (officers and admins above all)
 * and list them. A generated password is printed once; --password-stdin reads one line
 * instead. Flag parsing and printing only; the rules are ra/account. */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "cli/cli.h"
#include "core/config.h"
#include "ra/account.h"
#include "store/db.h"

static int usage(void)
{
    fprintf(stderr, "usage: shomei user add --dir DIR --login ID --role customer|reseller|"
                    "officer|admin --email E\n"
                    "                       [--name NAME] [--org-name N] [--locale ja|en] "
                    "[--password-stdin]\n"
                    "                       [--reseller LOGIN]  (customer org managed by it)\n"
                    "       shomei user list --dir DIR\n");
    return 2;
}

static int open_db(const char *dir, struct config **cfg, struct db **db, struct sm_err *e)
{
    if (config_load(dir, cfg, e) < 0)
        return -1;
    if (db_open(config_str(*cfg, "database", "url"), dir, db, e) < 0 || db_migrate(*db, e) < 0)
        return -1;
    return 0;
}

/* Reads one line from stdin without its line end into pw. 0 or -1. */
static int read_password(char *pw, size_t n)
{
    if (fgets(pw, (int)n, stdin) == NULL)
        return -1;
    size_t l = strlen(pw);
    if (l + 1 == n && pw[l - 1] != '\n')
        return -1;
    while (l > 0 && (pw[l - 1] == '\n' || pw[l - 1] == '\r'))
        pw[--l] = '\0';
    return 0;
}

static int user_add(int argc, char **argv)
{
    const char *dir = NULL, *login = NULL, *role = NULL, *email = NULL, *name = NULL;
    const char *org = NULL, *locale = "ja", *reseller = NULL;
    int from_stdin = 0;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        const char **slot = strcmp(a, "--dir") == 0        ? &dir
                            : strcmp(a, "--login") == 0    ? &login
                            : strcmp(a, "--role") == 0     ? &role
                            : strcmp(a, "--email") == 0    ? &email
                            : strcmp(a, "--name") == 0     ? &name
                            : strcmp(a, "--org-name") == 0 ? &org
                            : strcmp(a, "--locale") == 0   ? &locale
                            : strcmp(a, "--reseller") == 0 ? &reseller
                                                           : NULL;
        if (slot != NULL && i + 1 < argc)
            *slot = argv[++i];
        else if (strcmp(a, "--password-stdin") == 0)
            from_stdin = 1;
        else
            return usage();
    }
    if (dir == NULL || login == NULL || role == NULL || email == NULL)
        return usage();
    int r = user_role_parse(role);
    if (r == USER_NONE) {
        fprintf(stderr, "shomei user: --role は customer, reseller, officer, admin のいずれか / "
                        "--role must be customer, reseller, officer or admin\n");
        return 2;
    }
    char pw[600] = "";
    if (from_stdin && read_password(pw, sizeof pw) < 0) {
        fprintf(stderr, "shomei user: 標準入力からパスワードを読めません / cannot read the "
                        "password from standard input\n");
        return 1;
    }
    if (sodium_init() < 0)
        return 1;
    struct sm_err e = {0};
    struct config *cfg = NULL;
    struct db *db = NULL;
    int status = 1;
    if (open_db(dir, &cfg, &db, &e) < 0) {
        fprintf(stderr, "shomei user: %s\n", e.detail);
        goto out;
    }
    struct account_new n = {
        r, login, email, name ? name : login, locale, org, from_stdin ? pw : NULL, 0, 0};
    if (reseller != NULL) { /* a customer organization managed by this reseller's org */
        struct user_row ru;
        if (r != USER_CUSTOMER || user_get_by_login(db, reseller, &ru, &e) < 0 ||
            ru.role != USER_RESELLER) {
            fprintf(stderr, "shomei user: --reseller は既存のリセラーの ID（顧客のみ）/ "
                            "--reseller must name an existing reseller (customers only)\n");
            status = 2;
            goto out;
        }
        n.reseller_org_id = ru.org_id;
    }
    char gen[ACCOUNT_PASSWORD_GEN] = "";
    int64_t id = 0;
    int rc = account_create_user(db, &n, "cli", &id, gen, &e);
    if (rc == -SM_E_EXISTS) {
        fprintf(stderr,
                "shomei user: ログイン ID %s はすでに使われています / login id %s is "
                "taken\n",
                login, login);
    } else if (rc == -SM_E_INVALID) {
        fprintf(stderr, "shomei user: %s が不正です / invalid %s (%s)\n", e.field, e.field,
                e.detail);
        status = 2;
    } else if (rc < 0) {
        fprintf(stderr, "shomei user: %s\n", e.detail);
    } else {
        printf("user %lld %s (%s) created\n", (long long)id, login, role);
        if (!from_stdin)
            printf("password (shown once): %s\n", gen);
        status = 0;
    }
    sodium_memzero(gen, sizeof gen);
out:
    sodium_memzero(pw, sizeof pw);
    db_close(db);
    config_free(cfg);
    return status;
}

static int user_list_cmd(int argc, char **argv)
{
    const char *dir = NULL;
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc)
            dir = argv[++i];
        else
            return usage();
    }
    if (dir == NULL)
        return usage();
    struct sm_err e = {0};
    struct config *cfg = NULL;
    struct db *db = NULL;
    struct user_row *u = NULL;
    size_t n = 0;
    int status = 1;
    if (open_db(dir, &cfg, &db, &e) < 0 || user_list(db, &u, &n, &e) < 0) {
        fprintf(stderr, "shomei user: %s\n", e.detail);
        goto out;
    }
    printf("%-5s %-24s %-9s %-6s %-7s %s\n", "id", "login", "role", "org", "state", "email");
    for (size_t i = 0; i < n; i++)
        printf("%-5lld %-24s %-9s %-6lld %-7s %s\n", (long long)u[i].id, u[i].login_id,
               user_role_name(u[i].role), (long long)u[i].org_id,
               u[i].disabled       ? "disabled"
               : u[i].locked_until ? "locked"
                                   : "active",
               u[i].email);
    status = 0;
out:
    free(u);
    db_close(db);
    config_free(cfg);
    return status;
}

int user_seed_demo(struct db *db, const struct config *c, struct sm_err *e)
{
    (void)c;
    struct account_demo_user u[4];
    if (account_seed_demo(db, u, e) < 0)
        return -(e ? e->code : SM_E_INTERNAL);
    printf("デモ利用者 / demo users (パスワードは一度だけ表示 / passwords shown once):\n");
    for (int i = 0; i < 4; i++)
        printf("  %-9s %-14s %s\n", user_role_name(u[i].role), u[i].login_id, u[i].password);
    sodium_memzero(u, sizeof u);
    return 0;
}

int cmd_user(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "add") == 0)
        return user_add(argc, argv);
    if (argc >= 2 && strcmp(argv[1], "list") == 0)
        return user_list_cmd(argc, argv);
    return usage();
}
