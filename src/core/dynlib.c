/* SPDX-License-Identifier: MIT */
/* Libraries loaded when first used (dynlib.h). */
#include "core/dynlib.h"

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

int dynlib_load(const char *soname, const char *const *names, size_t n, void *slots, char *why,
                size_t whylen)
{
    void *h = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
    if (h == NULL) {
        const char *d = dlerror();
        snprintf(why, whylen, "%s", d ? d : soname);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        void *p = dlsym(h, names[i]); /* searches soname and the libraries it needs */
        if (p == NULL) {
            snprintf(why, whylen, "%s has no %s", soname, names[i]);
            memset(slots, 0, n * sizeof p);
            return -1; /* h stays open: unloading what may have run constructors is unsafe */
        }
        memcpy((char *)slots + i * sizeof p, &p, sizeof p); /* POSIX: same representation */
    }
    return 0;
}
