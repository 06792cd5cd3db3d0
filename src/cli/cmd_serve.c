/* SPDX-License-Identifier: MIT */
/* shomei serve (being written). */
#include <stdio.h>

#include "cli/cli.h"

int cmd_serve(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "shomei serve: not available in this build\n");
    return 1;
}
