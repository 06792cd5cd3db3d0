/* SPDX-License-Identifier: MIT */
/* libFuzzer target for the CSR check (R-CSR-1): any input must give a result or a clean
 * internal error, valid JSON, and no crash, leak or undefined behaviour. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <jansson.h>

#include "pki/csr.h"
#include "pki/eckey.h"

static int fake_blocklist(void *arg, const unsigned char sha[32], const char *hex)
{
    (void)arg;
    (void)hex;
    return sha[0] == 0xff; /* exercise both outcomes */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct csr_check_opts o = {fake_blocklist, NULL, (int)(size & 1), 0};
    struct csr_info *info = NULL;
    if (csr_check(data, size, &o, &info, NULL) < 0)
        return 0;
    json_t *j = NULL;
    if (csr_info_to_json(info, &j) < 0)
        abort(); /* strings must always be valid UTF-8 */
    char *text = json_dumps(j, 0);
    if (text == NULL)
        abort();
    free(text);
    json_decref(j);
    /* an acceptable CSR always has a key: its EVP_PKEY, or a named EC key's point on the
     * curve in spki */
    enum eckey_curve c;
    const unsigned char *pt = NULL;
    size_t n = 0;
    if (info->acceptable != 0 &&
        (info->spki == NULL ||
         (info->pkey == NULL && (!eckey_spki_curve(info->spki, &c, &pt, &n) ||
                                 eckey_point_ok(c, pt, n) != 1))))
        abort();
    csr_info_free(info);
    return 0;
}
