/* lsan.c — the binary's LeakSanitizer suppressions (read only in sanitizer builds).
 *
 * Commands that draw PNGs (train's curves, eval's confusion matrix) go through cairo, whose
 * fonts come from fontconfig; fontconfig keeps its configuration for the life of the process
 * (FcFini would free it, but nothing here links fontconfig directly), and LeakSanitizer
 * reports it at exit, which fails the command under `make asan`. The suppression names that
 * library only, the scope tests/test_plot.c uses for the same reason.
 */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
    return "leak:libfontconfig.so\n";
}
