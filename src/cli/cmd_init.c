/* SPDX-License-Identifier: MIT */
/* shomei init (being written). */
#include <stdio.h>

#include "cli/cli.h"

int cmd_init(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "shomei init: not available in this build\n");
    return 1;
}
