/* test_linear.c — Linear: cblas path equals the plain loops, and backward passes the
 * finite-difference check for input, weight and bias. */
#include <stdlib.h>

#include "gradcheck.h"
#include "nn/linear.h"
#include "testutil.h"

enum { N = 7, Din = 5, Dout = 4 };

struct lin_ctx {
    float x[N * Din], W[Dout * Din], b[Dout], y[N * Dout], w[N * Dout];
};

static double lin_loss(void *p)
{
    struct lin_ctx *c = p;
    linear_forward(c->y, c->x, c->W, c->b, N, Din, Dout);
    return gc_dot(c->w, c->y, N * Dout);
}

static void test_linear_matches_reference(void **state)
{
    (void)state;
    struct lin_ctx c;
    gc_fill_uniform(c.x, N * Din, -1, 1, 1);
    gc_fill_uniform(c.W, Dout * Din, -1, 1, 2);
    gc_fill_uniform(c.b, Dout, -1, 1, 3);
    gc_fill_uniform(c.w, N * Dout, -1, 1, 4);
    float y_ref[N * Dout];
    linear_forward(c.y, c.x, c.W, c.b, N, Din, Dout);
    linear_forward_ref(y_ref, c.x, c.W, c.b, N, Din, Dout);
    assert_close_f32(c.y, y_ref, N * Dout, 1e-5, 1e-6, "linear y");
    float dx[N * Din] = {0}, dW[Dout * Din] = {0}, db[Dout] = {0};
    float dx_r[N * Din] = {0}, dW_r[Dout * Din] = {0}, db_r[Dout] = {0};
    linear_backward(dx, dW, db, c.w, c.x, c.W, N, Din, Dout);
    linear_backward_ref(dx_r, dW_r, db_r, c.w, c.x, c.W, N, Din, Dout);
    assert_close_f32(dx, dx_r, N * Din, 1e-5, 1e-6, "linear dx");
    assert_close_f32(dW, dW_r, Dout * Din, 1e-5, 1e-6, "linear dW");
    assert_close_f32(db, db_r, Dout, 1e-5, 1e-6, "linear db");
}

static void test_linear_gradcheck(void **state)
{
    (void)state;
    struct lin_ctx c;
    gc_fill_uniform(c.x, N * Din, -1, 1, 11);
    gc_fill_uniform(c.W, Dout * Din, -1, 1, 12);
    gc_fill_uniform(c.b, Dout, -1, 1, 13);
    gc_fill_uniform(c.w, N * Dout, -1, 1, 14);
    float dx[N * Din] = {0}, dW[Dout * Din] = {0}, db[Dout] = {0};
    linear_forward(c.y, c.x, c.W, c.b, N, Din, Dout);
    linear_backward(dx, dW, db, c.w, c.x, c.W, N, Din, Dout);
    struct gc_tensor ts[] = {
        {"x", c.x, dx, N * Din}, {"W", c.W, dW, Dout * Din}, {"b", c.b, db, Dout}};
    gradcheck(lin_loss, &c, ts, 3, NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_linear_matches_reference),
        cmocka_unit_test(test_linear_gradcheck),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
