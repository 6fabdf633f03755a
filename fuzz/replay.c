/* replay.c — runs every file of a corpus folder through a fuzz target's
 * LLVMFuzzerTestOneInput, so the committed corpus (and every crash turned regression input)
 * is replayed by ctest under the sanitizer build without libFuzzer. An empty or missing
 * corpus is a failure: a replay that checks nothing must not pass. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
        return 2;
    }
    DIR *d = opendir(argv[1]);
    if (!d) {
        fprintf(stderr, "%s: cannot open corpus folder '%s'\n", argv[0], argv[1]);
        return 1;
    }
    size_t count = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", argv[1], e->d_name);
        FILE *f = fopen(path, "rb");
        if (!f) continue;
        fseek(f, 0, SEEK_END);
        long len = ftell(f);
        fseek(f, 0, SEEK_SET);
        uint8_t *buf = malloc(len > 0 ? (size_t)len : 1);
        size_t got = len > 0 ? fread(buf, 1, (size_t)len, f) : 0;
        fclose(f);
        LLVMFuzzerTestOneInput(buf, got);
        free(buf);
        count++;
    }
    closedir(d);
    if (count == 0) {
        fprintf(stderr, "%s: corpus folder '%s' is empty\n", argv[0], argv[1]);
        return 1;
    }
    printf("replayed %zu inputs from %s\n", count, argv[1]);
    return 0;
}
