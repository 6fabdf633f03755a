/* input_file.h — reading a whole input file, bounded, the same way in every reader.
 *
 * The text readers (groundtruth, signers, splits JSON) and the safetensors reader read their
 * file whole into memory. input_file_read() applies one set of rules to all of them
 * (docs/bad-input.md):
 *   - a folder is refused by name ("'x' is a folder, expected a file");
 *   - a regular file larger than `max` bytes is refused before anything is read;
 *   - a pipe, FIFO or character device (`<(grep … gt.txt)`, /dev/stdin) is accepted when
 *     `streams` is true and read until EOF, but never past `max` bytes: /dev/zero fails after
 *     `max` bytes instead of filling the memory. Readers that need a size up front (npz
 *     through libzip, safetensors) pass streams = false and refuse anything but a regular file.
 * Text readers also skip a UTF-8 byte order mark (text_skip_bom), which Windows editors put at
 * the start of a file and which would otherwise become part of the first id.
 */
#ifndef SG_CORE_INPUT_FILE_H
#define SG_CORE_INPUT_FILE_H

#include <stdbool.h>
#include <stddef.h>

struct error;

/* The caps (bytes). */
#define INPUT_TEXT_MAX ((size_t)256 << 20)        /* groundtruth and signers files */
#define INPUT_JSON_MAX ((size_t)64 << 20)         /* splits JSON */
#define INPUT_CHECKPOINT_MAX ((size_t)16 << 30)   /* safetensors checkpoints */

/* Reads `path` whole into *buf (malloc'ed, NUL-terminated beyond *len). `what` starts each
 * message ("groundtruth", "splits_json"), `flag` (may be NULL) names the flag that gave the
 * path so the message can say which one to change. */
int input_file_read(const char *path, const char *what, const char *flag, size_t max,
                    bool streams, char **buf, size_t *len, struct error *err);

/* Whether `path` can be handed to input_file_read with streams = true: it exists and is not a
 * folder. 0, or -1 with a message naming the flag ("is a folder", "does not exist"). */
int input_file_check(const char *path, const char *what, const char *flag, struct error *err);

/* Skips a leading UTF-8 byte order mark (EF BB BF) of text[0..*len). */
void text_skip_bom(const char **text, size_t *len);

/* "1.5 GiB", "300 MiB", "12 KiB", "17 bytes" into buf. Returns buf. */
const char *format_bytes(size_t n, char *buf, size_t cap);

#endif
