/* SPDX-License-Identifier: MIT */
/* shomei issue (being written). */
#include <stdio.h>

#include "cli/cli.h"

int cmd_issue(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "shomei issue: not available in this build\n");
    return 1;
}
