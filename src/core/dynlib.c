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

int dynlib_get(struct dynlib *d)
{
    int st = atomic_load_explicit(&d->state, memory_order_acquire);
    if (st == 0) {
        pthread_mutex_lock(&d->lock);
        st = atomic_load_explicit(&d->state, memory_order_relaxed);
        if (st == 0) {
            st = dynlib_load(d->soname, d->names, d->n, d->slots, d->why, sizeof d->why) == 0 ? 1
                                                                                              : -1;
            atomic_store_explicit(&d->state, st, memory_order_release);
        }
        pthread_mutex_unlock(&d->lock);
    }
    return st == 1 ? 0 : -1;
}
