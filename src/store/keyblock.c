/* SPDX-License-Identifier: MIT */
/* The compromised_keys table; see keyblock.h. */
#include <string.h>

#include "core/clock.h"
#include "core/text.h"
#include "store/db.h"
#include "store/keyblock.h"

static const struct db_stmt st_has = {
    "keyblock.has", "SELECT COUNT(*) FROM compromised_keys WHERE spki_sha256 = $1", NULL, NULL};
static const struct db_stmt st_add = {
    "keyblock.add",
    "INSERT INTO compromised_keys (spki_sha256, reason, source, added_at) VALUES ($1, $2, $3, "
    "$4) ON CONFLICT (spki_sha256) DO NOTHING",
    NULL, NULL};

int keyblock_has(struct db *db, const char *spki_sha256_hex, int *found, struct sm_err *e)
{
    *found = 0;
    if (!text_is_lower_hex(spki_sha256_hex, 64))
        return sm_err_set(e, SM_E_INVALID, "spki_sha256", "not 64 lower-case hex digits");
    struct db_val p[1] = {DBV_TEXT(spki_sha256_hex)};
    int64_t n = 0;
    int rc = db_get_one(db, &st_has, p, 1, &db_row_int, &n, e);
    *found = rc == 0 && n > 0;
    return rc;
}

int keyblock_add(struct db *db, const char *spki_sha256_hex, const char *reason, const char *source,
                 struct sm_err *e)
{
    if (!text_is_lower_hex(spki_sha256_hex, 64))
        return sm_err_set(e, SM_E_INVALID, "spki_sha256", "not 64 lower-case hex digits");
    struct db_val p[4] = {DBV_TEXT(spki_sha256_hex), DBV_TEXT(reason ? reason : ""),
                          DBV_TEXT(source ? source : ""), DBV_INT(clock_now())};
    return db_run(db, &st_add, p, 4, NULL, NULL, e);
}
