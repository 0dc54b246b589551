/* replay.c: feeds every file of the given corpus directories to LLVMFuzzerTestOneInput.
 *
 * Linked with each fuzz target in every build (any compiler, no libFuzzer), so that the
 * corpus runs as an ordinary test. Each input gets a buffer of exactly its size, so
 * sanitizers see any read past the end. An empty or missing corpus is a failure: it
 * would otherwise pass silently. */
#include <dirent.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

/* Reads the whole file into a malloc'd buffer of exactly its size (1 byte for an empty
 * file, so the pointer is never NULL). Returns NULL with errno set on failure. */
static unsigned char *read_file(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    unsigned char *buf;
    long n;

    if (f == NULL)
        return NULL;
    if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
        fclose(f);
        return NULL;
    }
    buf = malloc(n > 0 ? (size_t)n : 1);
    if (buf == NULL || fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        fclose(f);
        errno = EIO;
        return NULL;
    }
    fclose(f);
    *size = (size_t)n;
    return buf;
}

static int run_file(const char *path)
{
    size_t size;
    unsigned char *buf = read_file(path, &size);

    if (buf == NULL) {
        fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
        return -1;
    }
    LLVMFuzzerTestOneInput(buf, size);
    free(buf);
    return 0;
}

/* Runs every regular file of dir; returns how many, or -1 on an error. */
static long run_dir(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    long n = 0;

    if (d == NULL) {
        fprintf(stderr, "replay: opendir %s: %s\n", dir, strerror(errno));
        return -1;
    }
    while ((e = readdir(d)) != NULL) {
        char path[4096];
        struct stat st;

        if (e->d_name[0] == '.')
            continue;
        if (snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) >= (int)sizeof(path) ||
            stat(path, &st) != 0 || !S_ISREG(st.st_mode))
            continue;
        if (run_file(path) != 0) {
            closedir(d);
            return -1;
        }
        n++;
    }
    closedir(d);
    return n;
}

int main(int argc, char **argv)
{
    long total = 0;

    if (argc < 2) {
        fprintf(stderr, "usage: %s corpus-dir-or-file...\n", argv[0]);
        return 2;
    }
    for (int i = 1; i < argc; i++) {
        struct stat st;
        long n;

        if (stat(argv[i], &st) == 0 && S_ISREG(st.st_mode))
            n = run_file(argv[i]) == 0 ? 1 : -1;
        else
            n = run_dir(argv[i]);
        if (n < 0)
            return 1;
        total += n;
    }
    if (total == 0) {
        fprintf(stderr, "replay: no inputs found\n");
        return 1;
    }
    printf("replay: %ld inputs ran\n", total);
    return 0;
}
