/* pngutil.h — reading a PNG back in tests (libpng's simplified API), to check what the
 * plotting code drew: size, colours present, distinct pixel values. */
#ifndef SG_PNGUTIL_H
#define SG_PNGUTIL_H

#include <stddef.h>
#include <stdint.h>

struct png_rgb {
    uint32_t width, height;
    uint32_t *px; /* width*height pixels, 0xRRGGBB, row-major from the top (malloc'ed) */
};

/* Reads path as RGB (alpha composited on white). Returns 0, or -1 with a message in msg. */
int png_rgb_read(const char *path, struct png_rgb *img, char *msg, size_t msg_size);
void png_rgb_free(struct png_rgb *img);
/* Number of distinct pixel values. */
size_t png_rgb_distinct(const struct png_rgb *img);
/* Number of pixels exactly equal to rgb. */
size_t png_rgb_count(const struct png_rgb *img, uint32_t rgb);
/* Number of pixels in the rectangle [x0,x1)×[y0,y1) darker than `level` in every channel. */
size_t png_rgb_count_dark(const struct png_rgb *img, uint32_t x0, uint32_t y0, uint32_t x1,
                          uint32_t y1, unsigned level);

#endif
