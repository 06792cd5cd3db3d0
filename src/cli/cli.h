/* SPDX-License-Identifier: MIT */
/* Subcommands of the shomei program. Each parses its own flags and returns the
 * process exit status: 0 success, 1 failure (reported on stderr), 2 usage error. */
#ifndef SM_CLI_H
#define SM_CLI_H

int cmd_init(int argc, char **argv);        /* cli/cmd_init.c */
int cmd_ca(int argc, char **argv);          /* cli/cmd_ca.c */
int cmd_csr(int argc, char **argv);         /* cli/cmd_csr.c */
int cmd_issue(int argc, char **argv);       /* cli/cmd_issue.c */
int cmd_cert(int argc, char **argv);        /* cli/cmd_cert.c */
int cmd_revoke(int argc, char **argv);      /* cli/cmd_revoke.c */
int cmd_audit(int argc, char **argv);       /* cli/cmd_audit.c */
int cmd_crl(int argc, char **argv);         /* cli/cmd_crl.c */
int cmd_calendar(int argc, char **argv);    /* cli/cmd_calendar.c */
int cmd_serve(int argc, char **argv);       /* cli/cmd_serve.c */
int cmd_dcv(int argc, char **argv);         /* cli/cmd_dcv.c */
int cmd_caa(int argc, char **argv);         /* cli/cmd_dcv.c */
int cmd_mail(int argc, char **argv);        /* cli/cmd_mail.c */
int cmd_user(int argc, char **argv);        /* cli/cmd_user.c */
int cmd_routes(int argc, char **argv);      /* cli/cmd_routes.c */
int cmd_acme(int argc, char **argv);        /* cli/cmd_acme.c */
int cmd_backup(int argc, char **argv);      /* cli/cmd_backup.c */
int cmd_restore(int argc, char **argv);     /* cli/cmd_backup.c */
int cmd_perspective(int argc, char **argv); /* cli/cmd_perspective.c */
int cmd_check(int argc, char **argv);       /* cli/cmd_check.c */
/* init --demo: one user per role, passwords printed once (cli/cmd_user.c). */
struct db;
struct config;
struct sm_err;
int user_seed_demo(struct db *db, const struct config *c, struct sm_err *e);
/* [ca] debian_weak_keys: the operator's file of Debian weak-key fingerprints joins the
 * compiled-in list (pki/weakkey.h) before any key is checked. 0 (also when unset), or -1
 * with e naming the file and the line (cli/cmd_issue.c). */
int cli_weak_keys(const struct config *c, struct sm_err *e);

#endif
