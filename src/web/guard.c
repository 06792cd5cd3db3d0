/* SPDX-License-Identifier: MIT */
/* Deadlines of connections; see guard.h. Slots live in a list under one mutex; a slot is
 * freed when libmicrohttpd reports the connection closed (before it closes the socket),
 * so a socket is never shut down after its descriptor could have been reused. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>

#include "core/failalloc.h"
#include "core/log.h"
#include "web/guard.h"
#include "web/mhd_lib.h"

enum phase { WAIT_HEAD, WAIT_BODY, ANSWERING, SHUT };

struct slot {
    int fd;
    enum phase phase;
    long long since_ms;
    struct slot *prev, *next;
};

struct guard {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_t thread;
    int stop;
    long long head_ms, body_ms;
    struct slot *list;
    unsigned long closed;
};

static long long now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Shuts down every connection past its deadline; returns how many. Holds g->mu. */
static unsigned sweep(struct guard *g)
{
    long long now = now_ms();
    unsigned n = 0;
    for (struct slot *s = g->list; s != NULL; s = s->next) {
        long long limit = s->phase == WAIT_HEAD   ? g->head_ms
                          : s->phase == WAIT_BODY ? g->body_ms
                                                  : -1;
        if (limit < 0 || now - s->since_ms <= limit)
            continue;
        shutdown(s->fd, SHUT_RDWR);
        s->phase = SHUT;
        n++;
    }
    g->closed += n;
    return n;
}

static void *run(void *arg)
{
    struct guard *g = arg;
    pthread_mutex_lock(&g->mu);
    while (!g->stop) {
        struct timespec t;
        clock_gettime(CLOCK_MONOTONIC, &t);
        t.tv_nsec += 250 * 1000000L;
        if (t.tv_nsec >= 1000000000L) {
            t.tv_sec++;
            t.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&g->cv, &g->mu, &t);
        unsigned n = sweep(g);
        if (n > 0) {
            char cnt[16];
            snprintf(cnt, sizeof cnt, "%u", n);
            log_warn("closed connections past their deadline", "count", cnt);
        }
    }
    pthread_mutex_unlock(&g->mu);
    return NULL;
}

int guard_start(unsigned head_s, unsigned body_s, struct guard **out, struct sm_err *e)
{
    *out = NULL;
    struct guard *g = sm_calloc(1, sizeof *g);
    if (g == NULL)
        return sm_err_set(e, SM_E_NOMEM, NULL, "out of memory");
    g->head_ms = (long long)head_s * 1000;
    g->body_ms = (long long)body_s * 1000;
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    int ok = pthread_mutex_init(&g->mu, NULL) == 0 && pthread_cond_init(&g->cv, &ca) == 0;
    pthread_condattr_destroy(&ca);
    if (!ok || pthread_create(&g->thread, NULL, run, g) != 0) {
        free(g);
        return sm_err_set(e, SM_E_INTERNAL, NULL, "cannot start the connection guard");
    }
    *out = g;
    return 0;
}

void guard_stop(struct guard *g)
{
    if (g == NULL)
        return;
    pthread_mutex_lock(&g->mu);
    g->stop = 1;
    pthread_cond_signal(&g->cv);
    pthread_mutex_unlock(&g->mu);
    pthread_join(g->thread, NULL);
    while (g->list != NULL) { /* none after MHD_stop_daemon; freed for safety */
        struct slot *s = g->list;
        g->list = s->next;
        free(s);
    }
    pthread_cond_destroy(&g->cv);
    pthread_mutex_destroy(&g->mu);
    free(g);
}

void guard_notify(void *cls, struct MHD_Connection *c, void **socket_context,
                  enum MHD_ConnectionNotificationCode toe)
{
    struct guard *g = cls;
    if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *ci =
            mhd_fn.MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
        struct slot *s = ci ? sm_calloc(1, sizeof *s) : NULL;
        *socket_context = s;
        if (s == NULL)
            return; /* without memory the connection just has no deadline */
        s->fd = ci->connect_fd;
        s->phase = WAIT_HEAD;
        s->since_ms = now_ms();
        pthread_mutex_lock(&g->mu);
        s->next = g->list;
        if (g->list != NULL)
            g->list->prev = s;
        g->list = s;
        pthread_mutex_unlock(&g->mu);
        return;
    }
    struct slot *s = *socket_context;
    if (s == NULL)
        return;
    pthread_mutex_lock(&g->mu);
    if (s->prev != NULL)
        s->prev->next = s->next;
    else
        g->list = s->next;
    if (s->next != NULL)
        s->next->prev = s->prev;
    pthread_mutex_unlock(&g->mu);
    free(s);
    *socket_context = NULL;
}

static void set_phase(struct guard *g, struct MHD_Connection *c, enum phase p)
{
    if (g == NULL || c == NULL)
        return;
    const union MHD_ConnectionInfo *ci =
        mhd_fn.MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    struct slot *s = ci ? ci->socket_context : NULL;
    if (s == NULL)
        return;
    pthread_mutex_lock(&g->mu);
    if (s->phase != SHUT) {
        s->phase = p;
        s->since_ms = now_ms();
    }
    pthread_mutex_unlock(&g->mu);
}

void guard_head_done(struct guard *g, struct MHD_Connection *c) { set_phase(g, c, WAIT_BODY); }
void guard_answered(struct guard *g, struct MHD_Connection *c) { set_phase(g, c, ANSWERING); }
void guard_request_done(struct guard *g, struct MHD_Connection *c) { set_phase(g, c, WAIT_HEAD); }

unsigned long guard_closed(struct guard *g)
{
    pthread_mutex_lock(&g->mu);
    unsigned long n = g->closed;
    pthread_mutex_unlock(&g->mu);
    return n;
}
