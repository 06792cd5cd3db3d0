/* SPDX-License-Identifier: MIT */
/* GET /healthz: liveness for load balancers and tests. Answers 200 "ok". */
#include "web/handlers.h"

void h_health(struct req *r)
{
    static const char ok[] = "ok";
    http_reply_static(r, 200, "text/plain; charset=utf-8", ok, sizeof ok - 1);
}
