/* json_utf8.c — UTF-8 validation of a cJSON tree before it is written (json_utf8.h). */
#include "io/json_utf8.h"

#include <stdio.h>
#include <string.h>

#include "core/error.h"

bool utf8_valid(const char *s, size_t len, size_t *bad_at)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    while (i < len) {
        unsigned c = u[i];
        size_t need;
        unsigned min;
        if (c < 0x80) {
            i++;
            continue;
        } else if (c >= 0xC2 && c <= 0xDF) {
            need = 1, min = 0x80;
        } else if (c >= 0xE0 && c <= 0xEF) {
            need = 2, min = 0x800;
        } else if (c >= 0xF0 && c <= 0xF4) {
            need = 3, min = 0x10000;
        } else {
            goto bad;
        }
        if (len - i <= need) goto bad;
        unsigned cp = c & (0x3F >> need);
        for (size_t k = 1; k <= need; k++) {
            if ((u[i + k] & 0xC0) != 0x80) goto bad;
            cp = (cp << 6) | (u[i + k] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) goto bad;
        i += need + 1;
    }
    return true;
bad:
    if (bad_at) *bad_at = i;
    return false;
}

/* The string with every byte >= 0x80 or < 0x20 shown as \xNN (at most ~120 bytes). */
static void show(const char *s, char *buf, size_t cap)
{
    size_t o = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p && o + 8 < cap; p++) {
        if (*p >= 0x80 || *p < 0x20) o += (size_t)snprintf(buf + o, cap - o, "\\x%02x", *p);
        else buf[o++] = (char)*p;
    }
    buf[o] = '\0';
}

static int bad(const char *what, const char *path, const char *s, struct error *err)
{
    char b[160];
    show(s, b, sizeof b);
    return error_set(err, "%s: %s '%s' is not UTF-8, and JSON text must be; rename it (label or "
                     "id in the groundtruth or signers file, file or folder name) in UTF-8",
                     what, path, b);
}

static int walk(const cJSON *x, char *path, size_t plen, size_t cap, const char *what,
                struct error *err)
{
    if (cJSON_IsString(x) && x->valuestring &&
        !utf8_valid(x->valuestring, strlen(x->valuestring), NULL))
        return bad(what, path, x->valuestring, err);
    size_t i = 0;
    for (const cJSON *c = x->child; c; c = c->next, i++) {
        if (cJSON_IsObject(x) && c->string && !utf8_valid(c->string, strlen(c->string), NULL)) {
            char key[300];
            snprintf(key, sizeof key, "a key of %s", plen ? path : "the top level");
            return bad(what, key, c->string, err);
        }
        size_t n;
        if (cJSON_IsObject(x))
            n = (size_t)snprintf(path + plen, cap - plen, "%s%s", plen ? "." : "",
                                 c->string ? c->string : "");
        else
            n = (size_t)snprintf(path + plen, cap - plen, "[%zu]", i);
        size_t np = plen + n < cap ? plen + n : cap - 1;
        if (walk(c, path, np, cap, what, err)) return -1;
        path[plen] = '\0';
    }
    return 0;
}

int json_check_utf8(const cJSON *root, const char *what, struct error *err)
{
    char path[256] = "";
    return walk(root, path, 0, sizeof path, what, err);
}
