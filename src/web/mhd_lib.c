/* SPDX-License-Identifier: MIT */
/* libmicrohttpd loaded when first listening (mhd_lib.h). */
#include "web/mhd_lib.h"

struct mhd_fns mhd_fn;
DYNLIB_DEFINE(lib, MHD_LIB, MHD_FUNCS, mhd_fn);

int mhd_load(struct sm_err *e)
{
    if (dynlib_get(&lib) < 0)
        return sm_err_set(e, SM_E_CONFIG, NULL, "cannot load the HTTP server library: %s", lib.why);
    return 0;
}
