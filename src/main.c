/* SPDX-License-Identifier: MIT */
/* shomei: subcommand dispatch only. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

static const struct {
    const char *name;
    int (*fn)(int, char **);
    const char *help;
} commands[] = {
    {"init", cmd_init,
     "init --dir DIR [--demo] [--port P] [--set SECTION.KEY=VALUE ...]\n"
     "                                   create a data directory and CA hierarchy"},
    {"ca", cmd_ca, "ca list|chain --dir DIR ...      show the CA hierarchy or a chain"},
    {"csr", cmd_csr, "csr check [--json] FILE          check a CSR"},
    {"issue", cmd_issue,
     "issue --dir DIR --csr FILE|--batch FILE ...  issue certificates (operator)"},
    {"cert", cmd_cert,
     "cert get --dir DIR --serial S --format F [--out FILE]\n"
     "                                   a certificate in a download format (pem der p7b ...)"},
    {"revoke", cmd_revoke,
     "revoke --dir DIR --serial HEX|--batch FILE|--ca L --issued-between FROM TO --reason R"
     " [--date D]  revoke certificates"},
    {"crl", cmd_crl, "crl --dir DIR                     sign every CRL now"},
    {"backup", cmd_backup,
     "backup --dir DIR --out FILE       a consistent copy of a data directory, server running"},
    {"restore", cmd_restore,
     "restore --dir NEWDIR --from FILE [--database-url URL] [--replace]\n"
     "                                   bring a backup back (checked first)"},
    {"audit", cmd_audit, "audit verify --dir DIR           verify the audit log's hash chain"},
    {"calendar", cmd_calendar, "calendar FROM TO                 business days and holidays"},
    {"mail", cmd_mail, "mail test|run|list --dir DIR ...  queue a test mail, send mails"},
    {"dcv", cmd_dcv, "dcv check --dir DIR --method dns|http --domain D --value V  check a DCV"},
    {"caa", cmd_caa, "caa check --dir DIR --name N [--method M] [--account URI]  check CAA"},
    {"user", cmd_user, "user add|list --dir DIR ...       create (operators) or list users"},
    {"acme", cmd_acme, "acme eab|ari-drill|ari-report --dir DIR ...  EAB credentials, ARI drills"},
    {"check", cmd_check,
     "check --dir DIR [--servername N] [--allow-private] https://HOST[:PORT]\n"
     "                                   check how a certificate is installed on a server"},
    {"routes", cmd_routes, "routes                           print the route table with roles"},
    {"perspective", cmd_perspective,
     "perspective --dir DIR | init --dir DIR --primary-key K | keygen FILE | probe ...\n"
     "                                   a remote perspective of domain validation (BR 3.2.2.9)"},
    {"serve", cmd_serve, "serve --dir DIR [--port P]       run the web server"},
};

static int usage(FILE *f)
{
    fprintf(f, "usage: shomei COMMAND [ARGS]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %s\n", commands[i].help);
    return 2;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return usage(stderr);
    if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
        usage(stdout);
        return 0;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "shomei: unknown command '%s'\n", argv[1]);
    return usage(stderr);
}
