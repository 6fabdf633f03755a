/* fuzz_safetensors.c — libFuzzer target for the safetensors reader.
 *
 * Every input is parsed from memory. When it parses, every tensor is read through the getter
 * of its kind (the conversions walk the whole data section) and the file is written back
 * through the writer (its F32/I64/U64 tensors and all metadata) and parsed again: the second
 * parse must succeed and give the same values, or the target aborts. Inputs that fail must
 * fail with a message and leave nothing allocated (ASan's leak check sees to that).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "io/safetensors.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void roundtrip(const struct safetensors *st)
{
    struct error err;
    struct safetensors_writer w;
    safetensors_writer_init(&w);
    for (size_t i = 0; i < st->num_meta; i++)
        CHECK(safetensors_writer_set_meta(&w, st->meta[i].key, st->meta[i].value, &err) == 0);
    for (size_t i = 0; i < st->num_tensors; i++) {
        const struct st_tensor *t = &st->tensors[i];
        void *buf = malloc(t->numel ? t->numel * 8 : 1);
        CHECK(buf);
        if (t->dtype == ST_F32) {
            CHECK(safetensors_get_f32(st, t->name, buf, t->numel, &err) == 0);
            CHECK(safetensors_writer_add_f32(&w, t->name, t->ndim, t->shape, buf, &err) == 0);
        } else if (t->dtype == ST_I64) {
            CHECK(safetensors_get_i64(st, t->name, buf, t->numel, &err) == 0);
            CHECK(safetensors_writer_add_i64(&w, t->name, t->ndim, t->shape, buf, &err) == 0);
        } else if (t->dtype == ST_U64) {
            CHECK(safetensors_get_u64(st, t->name, buf, t->numel, &err) == 0);
            CHECK(safetensors_writer_add_u64(&w, t->name, t->ndim, t->shape, buf, &err) == 0);
        } else if (t->dtype == ST_F16 || t->dtype == ST_BF16 || t->dtype == ST_F64) {
            CHECK(safetensors_get_f32(st, t->name, buf, t->numel, &err) == 0);
        } else {
            /* integer kinds: conversion may legitimately refuse (BOOL > 1 only) */
            int64_t *tmp = buf;
            (void)safetensors_get_i64(st, t->name, tmp, t->numel, &err);
            (void)safetensors_get_u64(st, t->name, buf, t->numel, &err);
        }
        free(buf);
    }
    uint8_t *out;
    size_t len;
    CHECK(safetensors_writer_to_memory(&w, &out, &len, &err) == 0);
    struct safetensors again;
    CHECK(safetensors_from_memory(&again, out, len, "roundtrip", &err) == 0);
    for (size_t i = 0; i < st->num_meta; i++) {
        const char *v = safetensors_meta_get(&again, st->meta[i].key);
        CHECK(v && strcmp(v, st->meta[i].value) == 0);
    }
    for (size_t i = 0; i < w.num_entries; i++) {
        const struct st_tensor *a = safetensors_find(st, w.entries[i].name);
        const struct st_tensor *b = safetensors_find(&again, w.entries[i].name);
        CHECK(a && b && a->dtype == b->dtype && a->ndim == b->ndim && a->numel == b->numel);
        CHECK(memcmp(st->data + a->begin, again.data + b->begin, a->end - a->begin) == 0);
    }
    safetensors_free(&again);
    free(out);
    safetensors_writer_free(&w);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct safetensors st;
    struct error err;
    if (safetensors_from_memory(&st, data, size, "fuzz", &err) != 0) {
        CHECK(err.msg[0] != '\0');
        return 0;
    }
    roundtrip(&st);
    safetensors_free(&st);
    return 0;
}
