/* SPDX-License-Identifier: MIT */
/* GET /healthz: liveness for load balancers and tests. Answers 200 with "ok" on the first
 * line and the database's state from the health thread's last check on the second
 * ("database ok 1s", "database busy 3s", "database unchecked"): it never waits for the
 * database itself, so a locked database cannot stall it (issue 8 item 12). */
#include <stdio.h>
#include <string.h>

#include "web/handlers.h"

void h_health(struct req *r)
{
    char out[96];
    const struct web_health *h = r->web->health;
    int db = h ? atomic_load(&h->db) : -1;
    if (db < 0) {
        snprintf(out, sizeof out, "ok\ndatabase unchecked\n");
    } else {
        long long age = (long long)time(NULL) - atomic_load(&h->db_checked);
        int code = atomic_load(&h->db_code);
        snprintf(out, sizeof out, "ok\ndatabase %s %llds\n",
                 db                     ? "ok"
                 : code == SM_E_DB_BUSY ? "busy"
                                        : "failing",
                 age < 0 ? 0 : age);
    }
    http_reply(r, 200, "text/plain; charset=utf-8", out, strlen(out));
}
