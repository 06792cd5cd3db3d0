/* SPDX-License-Identifier: MIT */
/* shomei ca (being written). */
#include <stdio.h>

#include "cli/cli.h"

int cmd_ca(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "shomei ca: not available in this build\n");
    return 1;
}
