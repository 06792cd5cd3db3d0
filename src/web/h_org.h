/* SPDX-License-Identifier: MIT */
/* Pages and API calls of issue 12 items 6-8: the install check (h_check.c), the site
 * seal (h_seal.c), the organization's registration information and its groups
 * (h_orginfo.c). Routes in web/routes_org.inc. */
#ifndef SM_WEB_H_ORG_H
#define SM_WEB_H_ORG_H

#include <jansson.h>
#include <stdint.h>

struct req;
struct portal;

void h_check_form(struct req *r); /* GET /tools/check */
void h_check(struct req *r);      /* POST /tools/check */
void h_api_check(struct req *r);  /* POST /api/v1/check */

void h_seal_image(struct req *r);          /* GET /seal/:id/:variant (public, SVG) */
void h_seal_verify(struct req *r);         /* GET /seal/:id (public) */
void h_cert_seal(struct req *r);           /* GET /certificates/:serial/seal */
void h_api_cert_seal(struct req *r);       /* GET /api/v1/certificates/:serial/seal */
void h_orginfo_form(struct req *r);        /* GET /organization */
void h_orginfo(struct req *r);             /* POST /organization */
void h_api_orginfo_get(struct req *r);     /* GET /api/v1/organization */
void h_api_orginfo(struct req *r);         /* POST /api/v1/organization */
void h_groups(struct req *r);              /* GET /groups */
void h_group_create(struct req *r);        /* POST /groups */
void h_group(struct req *r);               /* GET /groups/:gid */
void h_group_update(struct req *r);        /* POST /groups/:gid (name, template) */
void h_group_delete(struct req *r);        /* POST /groups/:gid/delete */
void h_group_member_add(struct req *r);    /* POST /groups/:gid/members */
void h_group_member_remove(struct req *r); /* POST /groups/:gid/members/remove */
void h_cert_group_move(struct req *r);     /* POST /certificates/:serial/group */
/* Sets "cgroup" of a certificate page's data: false, or {current, choices[{gid, gname,
 * selected}]} (the groups of the certificate's organization org_id) for its users. */
void group_page_data(struct req *r, struct portal *p, int64_t cert_id, int64_t org_id,
                     json_t *data);
void h_api_groups(struct req *r);              /* GET /api/v1/groups */
void h_api_group_create(struct req *r);        /* POST /api/v1/groups */
void h_api_group(struct req *r);               /* GET /api/v1/groups/:gid */
void h_api_group_update(struct req *r);        /* POST /api/v1/groups/:gid */
void h_api_group_delete(struct req *r);        /* DELETE /api/v1/groups/:gid */
void h_api_group_member(struct req *r);        /* POST /api/v1/groups/:gid/members */
void h_api_group_member_remove(struct req *r); /* DELETE /api/v1/groups/:gid/members/:uid */
void h_api_cert_group(struct req *r);          /* POST /api/v1/certificates/:serial/group */

#endif
