/* providers/jsgf: turns recognition hints (expected phrases and keywords) into a
 * JSGF grammar for pocketsphinx. The general language model gets most words of
 * telephone-band synthetic speech wrong; a grammar of what the agent expects
 * gets them right, so the offline STT constrains itself with the hints.
 *
 * The grammar accepts one or more items in a row, each a whole hint phrase or a
 * single word from the hint vocabulary plus common filler words ("i", "would",
 * "like", "please", ...), so speech that is not one of the phrases still decodes
 * to the nearest words instead of failing. Pure function: no decoder, no loop. */
#ifndef HK_JSGF_H
#define HK_JSGF_H

#include <stddef.h>

/* Builds the grammar text (malloc'ed, caller frees). Words are lowercased; digits
 * become number words ("10" -> "ten"); every other character separates words.
 * With a dictionary path, words not in it are dropped (one warn log line per
 * dropped hint word). NULL with err filled when no hint word is usable or the
 * dictionary cannot be read. */
char *hk_jsgf_build(const char *const *phrases, size_t n, const char *dict_path_or_NULL,
                    char *err, size_t errlen);

#endif
