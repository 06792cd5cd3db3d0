/* SPDX-License-Identifier: MIT */
/* Runs a libFuzzer target over files, for `make test`: each file given (or each file of
 * each directory given) is passed once to LLVMFuzzerTestOneInput; the target aborts on a
 * broken invariant and the sanitizers on a memory error, so reaching the next line is the
 * pass. TAP output, one line per file. The corpora under tests/fuzz/corpus are the seeds
 * and the inputs that once failed (regressions). */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int n;

static int one(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        printf("not ok %d - %s: cannot open\n", ++n, path);
        return 1;
    }
    size_t cap = 1 << 16, len = 0;
    uint8_t *buf = malloc(cap);
    size_t got;
    while (buf != NULL && (got = fread(buf + len, 1, cap - len, f)) > 0) {
        len += got;
        if (len == cap) {
            uint8_t *b = realloc(buf, cap * 2);
            if (b == NULL) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = b;
            cap *= 2;
        }
    }
    fclose(f);
    if (buf == NULL) {
        printf("not ok %d - %s: no memory\n", ++n, path);
        return 1;
    }
    printf("# %s\n", path); /* the input a crash below was given */
    fflush(stdout);
    (void)LLVMFuzzerTestOneInput(buf, len);
    free(buf);
    printf("ok %d - %s\n", ++n, path);
    fflush(stdout);
    return 0;
}

static int cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
    int bad = 0;
    for (int i = 1; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) != 0) {
            printf("not ok %d - %s: missing\n", ++n, argv[i]);
            bad = 1;
            continue;
        }
        if (!S_ISDIR(st.st_mode)) {
            bad |= one(argv[i]);
            continue;
        }
        DIR *d = opendir(argv[i]);
        char **names = NULL;
        size_t k = 0;
        struct dirent *de;
        while (d != NULL && (de = readdir(d)) != NULL) {
            if (de->d_name[0] == '.')
                continue;
            char **m = realloc(names, (k + 1) * sizeof *names);
            if (m == NULL) {
                bad = 1;
                break;
            }
            names = m;
            size_t l = strlen(argv[i]) + strlen(de->d_name) + 2;
            if ((names[k] = malloc(l)) == NULL) {
                bad = 1;
                break;
            }
            snprintf(names[k++], l, "%s/%s", argv[i], de->d_name);
        }
        if (d != NULL)
            closedir(d);
        qsort(names, k, sizeof *names, cmp);
        for (size_t j = 0; j < k; j++) {
            bad |= one(names[j]);
            free(names[j]);
        }
        free(names);
    }
    if (n == 0) {
        printf("not ok 1 - no input\n");
        bad = 1;
    }
    printf("1..%d\n", n);
    return bad;
}
