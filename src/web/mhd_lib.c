/* SPDX-License-Identifier: MIT */
/* libmicrohttpd loaded when first listening (mhd_lib.h). */
#include "web/mhd_lib.h"

struct mhd_fns mhd_fn;
static const char *const fn_names[] = {MHD_FUNCS(DYNLIB_NAME)};
_Static_assert(sizeof mhd_fn == DYNLIB_COUNT(fn_names) * sizeof(void *), "one slot per name");
static struct dynlib lib = DYNLIB_INIT(MHD_LIB, fn_names, &mhd_fn);

int mhd_load(struct sm_err *e)
{
    if (dynlib_get(&lib) < 0)
        return sm_err_set(e, SM_E_CONFIG, NULL, "cannot load the HTTP server library: %s", lib.why);
    return 0;
}
