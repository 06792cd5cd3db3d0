/* SPDX-License-Identifier: MIT */
/* Pages and API calls of issue 12 items 6-8: the install check (h_check.c), the site
 * seal (h_seal.c), the organization's registration information and its groups
 * (h_orginfo.c). Routes in web/routes_org.inc. */
#ifndef SM_WEB_H_ORG_H
#define SM_WEB_H_ORG_H

struct req;

void h_check_form(struct req *r); /* GET /tools/check */
void h_check(struct req *r);      /* POST /tools/check */
void h_api_check(struct req *r);  /* POST /api/v1/check */

void h_seal_image(struct req *r);       /* GET /seal/:id/:variant (public, SVG) */
void h_seal_verify(struct req *r);      /* GET /seal/:id (public) */
void h_cert_seal(struct req *r);        /* GET /certificates/:serial/seal */
void h_api_cert_seal(struct req *r);    /* GET /api/v1/certificates/:serial/seal */
void h_orginfo_form(struct req *r);     /* GET /organization */
void h_orginfo(struct req *r);          /* POST /organization */
void h_api_orginfo_get(struct req *r);  /* GET /api/v1/organization */
void h_api_orginfo(struct req *r);      /* POST /api/v1/organization */
void h_groups(struct req *r);           /* GET /groups */
void h_group_create(struct req *r);     /* POST /groups */
void h_api_groups(struct req *r);       /* GET /api/v1/groups */
void h_api_group_create(struct req *r); /* POST /api/v1/groups */
void h_api_group_member(struct req *r); /* POST /api/v1/groups/:gid/members */
void h_api_cert_group(struct req *r);   /* POST /api/v1/certificates/:serial/group */

#endif
