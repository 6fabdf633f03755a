/* plot.h — PNG plots drawn with cairo: line plots (training curves), scatter plots
 * (embeddings) and heat maps (confusion matrices).
 *
 * Each call takes a spec that only points at the caller's arrays (nothing is copied or
 * kept), draws the figure and writes it atomically to `path` (temporary file in the same
 * folder, fsync, rename): on any failure the function returns -1 with `err` set, and
 * neither a partial PNG nor a temporary file is left behind.
 *
 * Sizes: width and height in pixels, 0 for the default (1000×450 for lines, 800×700 for
 * scatter plots and heat maps), each at most PLOT_MAX_SIDE and at least PLOT_MIN_SIDE.
 * Text, lines and margins scale with the image's area, so a larger image looks like the
 * default one at a higher resolution.
 *
 * Non-finite values (NaN, ±inf) are skipped: a line breaks at them, a scatter point with a
 * non-finite coordinate is not drawn, a heat map cell shows grey with no number.
 */
#ifndef SG_VIZ_PLOT_H
#define SG_VIZ_PLOT_H

#include <stddef.h>
#include <stdint.h>

struct error;

#define PLOT_MIN_SIDE 200
#define PLOT_MAX_SIDE 10000
#define PLOT_MAX_PANELS 8
/* Distinct colours before they cycle (plot_palette_color). */
#define PLOT_PALETTE_SIZE 20

/* One line: y[i] against x[i] for i < n. x may be NULL for x = 1, 2, ..., n (epochs).
 * name is the legend entry (NULL or "" for none). */
struct plot_series {
    const char *name;
    const double *x;
    const double *y;
    size_t n;
};

/* One panel of a line figure. Series k is drawn in plot_palette_color(k) with marker
 * shape k % 4 (circle, square, triangle, diamond), so the same series index has the same
 * look in every panel (train = 0, val = 1 in the training curves). Markers are drawn when
 * a series has at most 40 finite points, and always on a point isolated by non-finite
 * neighbours. */
/* A shaded rectangle behind the series: x from x0 to x1, y from y0 to y1 (±inf for the
 * whole height), in colour 0xRRGGBB at opacity alpha. */
struct plot_band {
    double x0, x1, y0, y1;
    uint32_t color;
    double alpha;
};

struct plot_panel {
    const char *title;
    const char *xlabel;
    const char *ylabel;
    const struct plot_series *series;
    size_t n_series;
    const struct plot_band *bands; /* may be NULL */
    size_t n_bands;
    const double *hlines;          /* dashed grey horizontal lines at these y; may be NULL */
    size_t n_hlines;
    double ymin, ymax;             /* fixed y range when ymin < ymax; else from the data */
};

struct plot_lines_spec {
    const char *title;               /* figure title above the panels, NULL for none */
    const struct plot_panel *panels; /* laid out side by side, left to right */
    size_t n_panels;                 /* 1..PLOT_MAX_PANELS */
    int width, height;               /* 0: 1000×450 */
};

/* Points (x[i], y[i]) coloured by category[i] < n_categories (category NULL: all in
 * category 0). category_names[k] labels category k in the legend; a NULL array, a NULL
 * or empty name shows as "#k". The legend lists the categories that have points, in index
 * order, and ends with "… (N more)" when they do not fit. Category k has colour
 * plot_palette_color(k) and, past the palette, a different marker shape per round of
 * colours (circle, square, triangle, diamond). */
struct plot_scatter_spec {
    const char *title, *xlabel, *ylabel;
    const double *x, *y;
    const size_t *category;
    size_t n;
    const char *const *category_names;
    size_t n_categories;
    int width, height; /* 0: 800×700 */
};

/* An R×C matrix, row-major (values[r*cols + c]), drawn with row 0 at the top, column 0 on
 * the left, in the viridis colour map from vmin = min(0, smallest value) to vmax = largest
 * value, with a colour bar. Row and column labels may be NULL (indices are shown). When
 * rows and cols are both at most 20, each cell shows its value: with `decimals` digits after
 * the point, or for decimals = 0 as an integer when every value is whole and with two
 * decimals otherwise. */
struct plot_heatmap_spec {
    const char *title, *xlabel, *ylabel;
    const double *values;
    size_t rows, cols;
    const char *const *row_labels;
    const char *const *col_labels;
    int decimals;
    int width, height; /* 0: 800×700 */
};

int plot_lines(const char *path, const struct plot_lines_spec *spec, struct error *err);
int plot_scatter(const char *path, const struct plot_scatter_spec *spec, struct error *err);
int plot_heatmap(const char *path, const struct plot_heatmap_spec *spec, struct error *err);

/* Colour k of the categorical palette as 0xRRGGBB: the first eight are Okabe & Ito's
 * colour-blind-safe set (blue, vermillion, bluish green, orange, sky blue, reddish purple,
 * yellow, black), then twelve from Paul Tol's muted and dark sets; k cycles past 20. */
uint32_t plot_palette_color(size_t k);
/* The viridis colour map at t in [0, 1] (clamped) as 0xRRGGBB. */
uint32_t plot_colormap_viridis(double t);

#endif
