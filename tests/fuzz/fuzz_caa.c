/* SPDX-License-Identifier: MIT */
/* libFuzzer target for CAA records from DNS (R-VAL-3, RFC 8659): any RDATA must parse or
 * be refused cleanly, and a parsed record must evaluate without crashing, for ordinary and
 * wildcard names, with and without account and method parameters. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "ra/caa.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct caa_record rec[2];
    if (caa_parse_rdata(data, size, &rec[0]) < 0)
        return 0;
    char text[1024];
    caa_record_text(&rec[0], text, sizeof text);
    struct caa_issue is;
    (void)caa_parse_issue(rec[0].value, &is);
    rec[1] = rec[0];
    struct caa_request q = {"www.example.co.jp", "shomei.example", "https://acme.example/acct/1",
                            "ca-dns-txt"};
    const char *reason = NULL;
    char detail[256];
    for (int wild = 0; wild < 2; wild++) {
        int ok = caa_evaluate(rec, 1 + (size & 1), wild, &q, &reason, detail, sizeof detail);
        if (ok != 0 && ok != 1)
            abort();
        if (ok == 0 && reason == NULL)
            abort(); /* a refusal always says why */
    }
    return 0;
}
