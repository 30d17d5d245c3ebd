/* core/json_arena: a per-thread bump arena for cJSON parses on the audio hot
 * path (a Twilio media message is ~25 small allocations: 50 times a second
 * per call, malloc and free were a fifth of its parse cost).
 *
 * hk_json_arena_install() sets cJSON's hooks once, at process start, before
 * any cJSON use. Between hk_json_arena_begin() and hk_json_arena_end() on one
 * thread, cJSON's allocations come from that thread's arena (plain malloc
 * once it is full); everything parsed in the scope must be cJSON_Delete'd in
 * the same scope (the delete of an arena block is a no-op and the arena is
 * reused by the next scope). Outside a scope, and on every other thread,
 * cJSON allocates with malloc as before. Scopes do not nest.
 *
 * Under AddressSanitizer the arena stays on and poisons what no live block
 * holds, so ASan reports an overflow, a use after free or a tree used after
 * its scope as it would for malloc'd memory. */
#ifndef HK_JSON_ARENA_H
#define HK_JSON_ARENA_H

#include <stddef.h>

void hk_json_arena_install(void);
void hk_json_arena_begin(void);
void hk_json_arena_end(void);
/* bytes this thread's scope has handed out (0 outside a scope, or when the
 * arena is off): for tests and the bench */
size_t hk_json_arena_used(void);

#endif
