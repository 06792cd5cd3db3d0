/* SPDX-License-Identifier: MIT */
/* GET /: the portal's home page (links to the public tools; login comes later). */
#include "web/handlers.h"

void h_home(struct req *r) { http_reply_page(r, 200, "home", "home.title", NULL); }
