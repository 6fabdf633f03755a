/* windows.c — window starts, window labels, binary and multi-class mappings (SPEC §1.4).
 *
 * Everything here is a pure function over arrays of label ids (from groundtruth_frame_labels):
 * a window is only ever a (video, start) pair, so the loader, the trainer and `splits` share
 * these rules without copying landmark data.
 *
 * Window label: the label seen most often among the window's labelled frames; a tie goes to
 * the label whose first frame in the window comes first. Two passes over the window with a
 * caller-provided counter array: the first counts, the second visits each label at its first
 * frame (clearing its counter there), keeping the running best unless a later label has a
 * strictly larger count — so ties keep the earlier label, the counters end up zero again, and
 * the cost is O(window) whatever the number of labels.
 *
 * Names are compared as bytes, or with ASCII case folding (A–Z only) where the SPEC says
 * case-insensitive: locale-dependent tolower() is never used.
 */
#include "data/windows.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"

size_t windows_count(size_t T, size_t window, size_t stride)
{
    if (T < window) return 1;
    return (T - window) / stride + 1;
}

size_t windows_start(size_t i, size_t stride)
{
    return i * stride;
}

size_t windows_real_frames(size_t T, size_t start, size_t window)
{
    if (start >= T) return 0;
    size_t left = T - start;
    return left < window ? left : window;
}

int32_t windows_label(const int32_t *frame_labels, size_t T, size_t start, size_t window,
                      uint32_t *counts)
{
    size_t n = windows_real_frames(T, start, window);
    const int32_t *f = frame_labels + start;
    for (size_t t = 0; t < n; t++)
        if (f[t] >= 0) counts[f[t]]++;
    /* Labels are visited in order of first appearance; only a strictly larger count wins, so
     * a tie keeps the earlier label. Counters are cleared as each label is visited. */
    int32_t best = -1;
    uint32_t best_count = 0;
    for (size_t t = 0; t < n; t++) {
        int32_t l = f[t];
        if (l < 0 || counts[l] == 0) continue;
        if (counts[l] > best_count) {
            best = l;
            best_count = counts[l];
        }
        counts[l] = 0;
    }
    return best;
}

int windows_label_all(const int32_t *frame_labels, size_t T, size_t window, size_t stride,
                      size_t n_labels, int32_t *out, struct error *err)
{
    uint32_t *counts = sg_calloc(n_labels, sizeof *counts, "window label counters", err);
    if (!counts) return -1;
    size_t nw = windows_count(T, window, stride);
    for (size_t i = 0; i < nw; i++)
        out[i] = windows_label(frame_labels, T, windows_start(i, stride), window, counts);
    free(counts);
    return 0;
}

bool windows_any_label(const int32_t *frame_labels, size_t T, size_t start, size_t window,
                       const bool *label_mask)
{
    size_t n = windows_real_frames(T, start, window);
    for (size_t t = 0; t < n; t++) {
        int32_t l = frame_labels[start + t];
        if (l >= 0 && label_mask[l]) return true;
    }
    return false;
}

static unsigned char ascii_fold(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') ? (unsigned char)(c - 'A' + 'a') : c;
}

bool ascii_equal_ci(const char *a, const char *b)
{
    for (;; a++, b++) {
        if (ascii_fold((unsigned char)*a) != ascii_fold((unsigned char)*b)) return false;
        if (*a == '\0') return true;
    }
}

/* ---- name lists -------------------------------------------------------------------------- */

void name_list_free(struct name_list *l)
{
    if (!l) return;
    for (size_t i = 0; i < l->n; i++) free(l->names[i]);
    free(l->names);
    l->names = NULL;
    l->n = 0;
}

long name_list_find(const struct name_list *l, const char *name)
{
    for (size_t i = 0; i < l->n; i++)
        if (!strcmp(l->names[i], name)) return (long)i;
    return -1;
}

bool name_list_contains_ci(const struct name_list *l, const char *name)
{
    for (size_t i = 0; i < l->n; i++)
        if (ascii_equal_ci(l->names[i], name)) return true;
    return false;
}

int name_list_parse(struct name_list *l, const char *text, const char *flag, bool unique,
                    struct error *err)
{
    l->n = 0;
    l->names = NULL;
    size_t items = 1;
    for (const char *p = text; *p; p++) items += *p == ',';
    l->names = sg_calloc(items, sizeof *l->names, "name list", err);
    if (!l->names) return -1;
    const char *p = text;
    for (;;) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        const char *b = p;
        while (len > 0 && (*b == ' ' || *b == '\t')) b++, len--;
        while (len > 0 && (b[len - 1] == ' ' || b[len - 1] == '\t')) len--;
        if (len > 0) {
            char *s = sg_malloc(len + 1, 1, "name list item", err);
            if (!s) goto fail;
            memcpy(s, b, len);
            s[len] = '\0';
            if (unique && name_list_find(l, s) >= 0) {
                error_set(err, "%s: '%s' is listed twice", flag, s);
                free(s);
                goto fail;
            }
            l->names[l->n++] = s;
        }
        if (!e) break;
        p = e + 1;
    }
    if (l->n == 0) {
        error_set(err, "%s: no name in '%s' (expected a comma-separated list)", flag, text);
        goto fail;
    }
    return 0;
fail:
    name_list_free(l);
    return -1;
}

void windows_binary_map(const struct name_list *signing, const char *const *label_names,
                        size_t n_labels, int32_t *class_of_label)
{
    for (size_t i = 0; i < n_labels; i++)
        class_of_label[i] = name_list_contains_ci(signing, label_names[i]) ? 1 : 0;
}

/* ---- class lists ------------------------------------------------------------------------- */

void class_list_free(struct class_list *cl)
{
    if (!cl) return;
    for (size_t i = 0; i < cl->n_classes; i++) free(cl->names[i]);
    free(cl->names);
    memset(cl, 0, sizeof *cl);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int class_list_from_labels(struct class_list *cl, const char *const *label_names,
                           size_t n_labels, const bool *label_used, struct error *err)
{
    memset(cl, 0, sizeof *cl);
    size_t n = 0;
    for (size_t i = 0; i < n_labels; i++) n += label_used[i];
    cl->names = sg_calloc(n, sizeof *cl->names, "class list", err);
    if (!cl->names) return -1;
    for (size_t i = 0; i < n_labels; i++) {
        if (!label_used[i]) continue;
        cl->names[cl->n_classes] = sg_strdup(label_names[i], err);
        if (!cl->names[cl->n_classes]) {
            class_list_free(cl);
            return -1;
        }
        cl->n_classes++;
    }
    qsort(cl->names, cl->n_classes, sizeof *cl->names, cmp_str);
    cl->num_outputs = cl->n_classes;
    return 0;
}

int class_list_from_names(struct class_list *cl, const char *text, struct error *err)
{
    memset(cl, 0, sizeof *cl);
    struct name_list l;
    if (name_list_parse(&l, text, "--classes", true, err) != 0) return -1;
    cl->n_classes = l.n;
    cl->names = l.names;
    cl->num_outputs = l.n;
    return 0;
}

int class_list_set_outputs(struct class_list *cl, size_t num_classes,
                           const struct warn_sink *warn, struct error *err)
{
    if (num_classes == 0) {
        cl->num_outputs = cl->n_classes;
        return 0;
    }
    if (num_classes < cl->n_classes)
        return error_set(err, "--num-classes %zu is smaller than the number of classes (%zu)",
                         num_classes, cl->n_classes);
    if (num_classes > cl->n_classes)
        warn_emit(warn, "--num-classes %zu leaves %zu of the model's outputs unused (%zu classes)",
                  num_classes, num_classes - cl->n_classes, cl->n_classes);
    cl->num_outputs = num_classes;
    return 0;
}

const char *class_list_output_name(const struct class_list *cl, size_t k, char *buf,
                                   size_t cap)
{
    if (k < cl->n_classes) return cl->names[k];
    snprintf(buf, cap, "%zu", k);
    return buf;
}

void class_list_map(const struct class_list *cl, const char *const *label_names,
                    size_t n_labels, int32_t *class_of_label)
{
    for (size_t i = 0; i < n_labels; i++) {
        class_of_label[i] = -1;
        for (size_t k = 0; k < cl->n_classes; k++)
            if (!strcmp(cl->names[k], label_names[i])) {
                class_of_label[i] = (int32_t)k;
                break;
            }
    }
}

void windows_mark_labels(const int32_t *window_labels, size_t n_windows, bool *label_used)
{
    for (size_t i = 0; i < n_windows; i++)
        if (window_labels[i] >= 0) label_used[window_labels[i]] = true;
}
