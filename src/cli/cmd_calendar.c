/* SPDX-License-Identifier: MIT */
/* shomei calendar (being written). */
#include <stdio.h>

#include "cli/cli.h"

int cmd_calendar(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "shomei calendar: not available in this build\n");
    return 1;
}
