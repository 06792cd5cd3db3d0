/* SPDX-License-Identifier: MIT */
/* Announcements (ra/announce.h): admins only, both languages, with the audit record. */
#include <jansson.h>
#include <string.h>

#include "ra/account_int.h"
#include "ra/announce.h"
#include "store/announcements.h"
#include "store/db.h"

/* ---- announcements ---- */

static void check_text(struct account_errors *fe, const char *field, const char *s, long max,
                       int multiline)
{
    long n = s ? account_utf8_chars(s, multiline) : 0;
    int blank = 1;
    for (const char *p = s ? s : ""; *p && blank; p++)
        blank = strchr(" \t\r\n", *p) != NULL;
    if (n == 0 || blank)
        account_add_error(fe, field, "account.err.text_required");
    else if (n < 0)
        account_add_error(fe, field, "account.err.text_invalid");
    else if (n > max)
        account_add_error(fe, field, "account.err.text_long");
}

int account_announce(struct db *db, const struct user_row *u, const char *title_ja,
                     const char *title_en, const char *body_ja, const char *body_en,
                     struct account_errors *fe, int64_t *id, struct sm_err *e)
{
    *id = 0;
    if (u == NULL || u->role != USER_ADMIN)
        return sm_err_set(e, SM_E_FORBIDDEN, "role", "admins only");
    check_text(fe, "title_ja", title_ja, 100, 0);
    check_text(fe, "title_en", title_en, 100, 0);
    check_text(fe, "body_ja", body_ja, 2000, 1);
    check_text(fe, "body_en", body_en, 2000, 1);
    if (fe->n > 0)
        return account_invalid(fe, e);
    int rc = db_begin(db, e);
    if (rc < 0)
        return rc;
    rc = announcement_insert(db, title_ja, title_en, body_ja, body_en, u->id, id, e);
    if (rc == 0)
        rc = account_audit(db, u->id, NULL, "announcement.post", "announcement", *id,
                           json_pack("{s:s, s:s}", "title_ja", title_ja, "title_en", title_en), e);
    rc = account_finish(db, rc, e);
    if (rc < 0)
        *id = 0;
    return rc;
}
