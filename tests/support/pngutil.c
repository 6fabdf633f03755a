/* pngutil.c — PNG read-back for tests (see pngutil.h). */
#include "pngutil.h"

#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int png_rgb_read(const char *path, struct png_rgb *img, char *msg, size_t msg_size)
{
    memset(img, 0, sizeof *img);
    png_image im;
    memset(&im, 0, sizeof im);
    im.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_file(&im, path)) {
        snprintf(msg, msg_size, "%s: %s", path, im.message);
        return -1;
    }
    im.format = PNG_FORMAT_RGB;
    png_color white = {255, 255, 255};
    size_t n = (size_t)im.width * im.height;
    unsigned char *buf = malloc(n * 3);
    if (!buf || !png_image_finish_read(&im, &white, buf, 0, NULL)) {
        snprintf(msg, msg_size, "%s: %s", path, buf ? im.message : "out of memory");
        free(buf);
        png_image_free(&im);
        return -1;
    }
    img->px = malloc(n * sizeof *img->px);
    if (!img->px) {
        free(buf);
        snprintf(msg, msg_size, "%s: out of memory", path);
        return -1;
    }
    for (size_t i = 0; i < n; i++)
        img->px[i] = (uint32_t)buf[3 * i] << 16 | (uint32_t)buf[3 * i + 1] << 8 | buf[3 * i + 2];
    img->width = im.width;
    img->height = im.height;
    free(buf);
    return 0;
}

void png_rgb_free(struct png_rgb *img)
{
    free(img->px);
    memset(img, 0, sizeof *img);
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

size_t png_rgb_distinct(const struct png_rgb *img)
{
    size_t n = (size_t)img->width * img->height;
    if (n == 0) return 0;
    uint32_t *v = malloc(n * sizeof *v);
    if (!v) return 0;
    memcpy(v, img->px, n * sizeof *v);
    qsort(v, n, sizeof *v, cmp_u32);
    size_t d = 1;
    for (size_t i = 1; i < n; i++) d += v[i] != v[i - 1];
    free(v);
    return d;
}

size_t png_rgb_count(const struct png_rgb *img, uint32_t rgb)
{
    size_t n = (size_t)img->width * img->height, c = 0;
    for (size_t i = 0; i < n; i++) c += img->px[i] == rgb;
    return c;
}

size_t png_rgb_count_dark(const struct png_rgb *img, uint32_t x0, uint32_t y0, uint32_t x1,
                          uint32_t y1, unsigned level)
{
    size_t c = 0;
    if (x1 > img->width) x1 = img->width;
    if (y1 > img->height) y1 = img->height;
    for (uint32_t y = y0; y < y1; y++)
        for (uint32_t x = x0; x < x1; x++) {
            uint32_t p = img->px[(size_t)y * img->width + x];
            c += ((p >> 16) & 0xFF) < level && ((p >> 8) & 0xFF) < level && (p & 0xFF) < level;
        }
    return c;
}
