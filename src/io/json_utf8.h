/* json_utf8.h — keeping non-UTF-8 bytes out of the JSON the program writes.
 *
 * Labels, video ids (file names), signer ids and paths are bytes; JSON text is UTF-8
 * (RFC 8259 §8.1) and cJSON copies bytes >= 0x80 as they are, so a Latin-1 label would make
 * a checkpoint header or a splits.json that Python's json, safetensors and the project's own
 * tools refuse. Escaping cannot help: JSON has no escape for a byte that is not a character.
 * Every JSON writer (checkpoint configuration, splits.json, eval --json) therefore checks its
 * tree with json_check_utf8() before writing and refuses the whole file with a message that
 * names the value, shows its bytes (\xNN) and says what to rename.
 */
#ifndef SG_IO_JSON_UTF8_H
#define SG_IO_JSON_UTF8_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

struct error;

/* Strict UTF-8 (no overlong forms, surrogates or code points above U+10FFFF). On false,
 * *bad_at (when not NULL) is the offset of the first byte that breaks it. */
bool utf8_valid(const char *s, size_t len, size_t *bad_at);

/* 0 when every key and string value under root is UTF-8; else -1 with
 * "<what>: <json path> 'a\xffb' is not UTF-8; JSON needs UTF-8 ..." */
int json_check_utf8(const cJSON *root, const char *what, struct error *err);

#endif
