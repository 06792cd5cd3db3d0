/* SPDX-License-Identifier: MIT */
/* libFuzzer target for certificate names (R-CSR-4, R-APP-6): any bytes given as a name must
 * be accepted or refused cleanly, and what is accepted must be a name a certificate may
 * carry: an IP address in its canonical form, or a lower-case LDH name of at most 253
 * octets and labels of 1 to 63 (the wildcard only as the whole left-most label, and only
 * when allowed) that is accepted again, unchanged and without a notice. A refusal always
 * names its problem and has both messages. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pki/names.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void dns_shape(const char *n, int allow_wildcard)
{
    size_t len = strlen(n);
    if (len == 0 || len > 253)
        abort();
    const char *p = n;
    if (strncmp(p, "*.", 2) == 0) {
        if (!allow_wildcard)
            abort();
        p += 2;
    }
    size_t label = 0;
    for (; *p; p++) {
        if (*p == '.') {
            if (label == 0)
                abort();
            label = 0;
            continue;
        }
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-'))
            abort();
        if (++label > 63)
            abort();
    }
    if (label == 0)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* The first byte chooses what the caller allows, as each caller (CSR, form, ACME)
     * does; the rest is the name. */
    if (size == 0 || size > 1024)
        return 0;
    int allow_wildcard = data[0] & 1, allow_ip = (data[0] >> 1) & 1;
    char *name = malloc(size);
    if (name == NULL)
        return 0;
    memcpy(name, data + 1, size - 1);
    name[size - 1] = '\0';

    char norm[NAMES_NORM_MAX], again[NAMES_NORM_MAX];
    struct names_problem pr, pr2;
    int rc = names_check(name, allow_wildcard, allow_ip, norm, &pr);
    if (rc < 0)
        abort(); /* the public suffix list is built in */
    if (rc == 1 && (pr.code == NULL || pr.msg_ja == NULL || pr.msg_en == NULL ||
                    pr.severity != NAMES_SEV_ERROR))
        abort();
    if (rc == 0) {
        if (pr.code != NULL && pr.severity != NAMES_SEV_NOTICE)
            abort();
        if (names_is_ip(name)) {
            if (!allow_ip || !names_is_ip(norm))
                abort();
        } else {
            dns_shape(norm, allow_wildcard);
            if (names_check(norm, allow_wildcard, allow_ip, again, &pr2) != 0 || pr2.code != NULL ||
                strcmp(norm, again) != 0)
                abort();
            if (!names_equal(name, norm))
                abort();
            const char *base = strncmp(norm, "*.", 2) == 0 ? norm + 2 : norm;
            const char *reg = names_registrable_domain(base);
            if (reg != NULL &&
                (strlen(reg) > strlen(base) || strcmp(base + strlen(base) - strlen(reg), reg) != 0))
                abort();
            char *u = NULL;
            if (names_to_unicode(norm, &u) == 0 && u == NULL)
                abort();
            free(u);
        }
    }
    (void)names_equal(name, "www.example.co.jp");
    free(name);
    return 0;
}
