/* SPDX-License-Identifier: MIT */
/* core/sha256: the one-shot SHA-256 with the method fetched once (issue 8 item 29: the
 * fingerprints of bulk issuance and the CSR key hashes). */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/sha256.h"
#include "core/text.h"

static void hex_of(const void *p, size_t n, char out[65])
{
    unsigned char md[32];
    assert_int_equal(sha256_digest(p, n, md), 0);
    text_hex(out, md, 32);
}

/* FIPS 180-2 vectors: "", "abc", and one million 'a' (many blocks). */
static void test_sha256_digest_known_vectors(void **state)
{
    (void)state;
    char h[65];
    hex_of("", 0, h);
    assert_string_equal(h, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    hex_of("abc", 3, h);
    assert_string_equal(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    static char a[1000000];
    memset(a, 'a', sizeof a);
    hex_of(a, sizeof a, h);
    assert_string_equal(h, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    assert_ptr_equal(sha256_md(), sha256_md()); /* fetched once */
    assert_int_equal(EVP_MD_get_size(sha256_md()), 32);
}

/* Threads that hash at once (the first call fetches) all get the right digest. */
static void *hash_abc(void *arg)
{
    int *bad = arg;
    char h[65];
    for (int i = 0; i < 200; i++) {
        unsigned char md[32];
        *bad += sha256_digest("abc", 3, md) != 0;
        text_hex(h, md, 32);
        *bad += strcmp(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad") != 0;
    }
    return NULL;
}

static void test_sha256_digest_threads(void **state)
{
    (void)state;
    pthread_t th[4];
    int bad[4] = {0};
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&th[i], NULL, hash_abc, &bad[i]), 0);
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(bad[i], 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sha256_digest_threads),
        cmocka_unit_test(test_sha256_digest_known_vectors),
    };
    return cmocka_run_group_tests_name("sha256", tests, NULL, NULL);
}
