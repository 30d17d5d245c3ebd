/* core/grow: the one way a growable array gets room. hk_grow makes *p hold at
 * least need elements of elem bytes, doubling its capacity (from 64) so a run
 * of appends costs O(n) in all. */
#ifndef HK_GROW_H
#define HK_GROW_H

#include <stddef.h>

/* 0, or -1 when out of memory (*p and *cap are then unchanged). */
int hk_grow(void **p, size_t *cap, size_t need, size_t elem);

#endif
