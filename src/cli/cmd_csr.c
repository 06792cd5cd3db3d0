/* SPDX-License-Identifier: MIT */
/* shomei csr (being written). */
#include <stdio.h>

#include "cli/cli.h"

int cmd_csr(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "shomei csr: not available in this build\n");
    return 1;
}
