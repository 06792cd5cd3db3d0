/* SPDX-License-Identifier: MIT */
/* Libraries loaded when first used rather than when the process starts. Each linked
 * library costs every run of shomei its share of dynamic loading, and most runs never draw
 * a PDF (pango, cairo and the ~30 libraries they bring) or speak to PostgreSQL (libpq
 * with LDAP and Kerberos). A user lists the functions it calls once, and the library's
 * own header gives each pointer its type:
 *
 *     #define FOO_FUNCS(X) X(foo_open) X(foo_close)
 *     static struct foo_fns { FOO_FUNCS(DYNLIB_FIELD) } fns;
 *     DYNLIB_DEFINE(foo, "libfoo.so.1", FOO_FUNCS, fns);
 *     ... if (dynlib_get(&foo) < 0) fail with foo.why ...
 *
 * and calls fns.foo_open(...). A loaded library is never unloaded. */
#ifndef SM_CORE_DYNLIB_H
#define SM_CORE_DYNLIB_H
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>

#define DYNLIB_FIELD(f) __typeof__(&f) f;
#define DYNLIB_NAME(f)  #f,
#define DYNLIB_COUNT(a) (sizeof(a) / sizeof *(a))

/* Opens soname and stores the address of names[i] in slots[i] for i < n (slots is the
 * caller's struct of DYNLIB_FIELD pointers, which has exactly n of them). 0 when every
 * name was found; -1 with why set ("libfoo.so.1: cannot open shared object file..." or
 * "libfoo.so.1 has no foo_close") and the slots left NULL. */
int dynlib_load(const char *soname, const char *const *names, size_t n, void *slots, char *why,
                size_t whylen);

/* One library of a user, loaded once by dynlib_get. */
struct dynlib {
    const char *soname;
    const char *const *names;
    size_t n;
    void *slots; /* the user's struct of n DYNLIB_FIELD pointers */
    pthread_mutex_t lock;
    atomic_int state; /* 0 not tried, 1 loaded, -1 failed */
    char why[256];    /* why it failed */
};
#define DYNLIB_INIT(soname, names, slots)                                                          \
    {                                                                                              \
        (soname), (names), DYNLIB_COUNT(names), (slots), PTHREAD_MUTEX_INITIALIZER, 0, ""          \
    }

/* static struct dynlib var for the functions FUNCS lists, whose pointers are the struct
 * slots (of DYNLIB_FIELD members, checked at compile time to be one per name). */
#define DYNLIB_DEFINE(var, soname, FUNCS, slots)                                                   \
    static const char *const var##_names[] = {FUNCS(DYNLIB_NAME)};                                 \
    _Static_assert(sizeof(slots) == DYNLIB_COUNT(var##_names) * sizeof(void *),                    \
                   "one slot per name");                                                           \
    static struct dynlib var = DYNLIB_INIT(soname, var##_names, &(slots))

/* Loads d's library the first time (thread-safe; a failure is not tried again). 0 when
 * its functions are in d->slots, -1 with d->why set when not. */
int dynlib_get(struct dynlib *d);
#endif
