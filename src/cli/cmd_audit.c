/* SPDX-License-Identifier: MIT */
/* shomei audit (being written). */
#include <stdio.h>

#include "cli/cli.h"

int cmd_audit(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "shomei audit: not available in this build\n");
    return 1;
}
