#include <stdlib.h>
#include <string.h>

#include "ringbuf.h"

#define RINGBUF_MASK(rb) ((rb)->capacity - 1)

int ringbuf_init(ringbuf_t *rb, size_t capacity) {
    // Reject capacities that are not a power of two.
    if (capacity == 0 || (capacity & (capacity - 1)) != 0) {
        return -1;
    }
    rb->data = malloc(capacity);
    if (rb->data == NULL) {
        return -1;
    }
    rb->capacity = capacity;
    rb->head = rb->tail = 0;
    return 0;
}

void ringbuf_free(ringbuf_t *rb) {
    free(rb->data);
    memset(rb, 0, sizeof *rb);
}

static size_t ringbuf_used(const ringbuf_t *rb) {
    return rb->tail - rb->head; /* indices wrap; unsigned arithmetic does the rest */
}

size_t ringbuf_write(ringbuf_t *rb, const uint8_t *src, size_t len) {
    size_t free_space = rb->capacity - ringbuf_used(rb);
    size_t n = len < free_space ? len : free_space;
    for (size_t i = 0; i < n; i++) {
        rb->data[(rb->tail + i) & RINGBUF_MASK(rb)] = src[i];
    }
    rb->tail += n;
    return n;
}

size_t ringbuf_read(ringbuf_t *rb, uint8_t *dst, size_t len) {
    size_t used = ringbuf_used(rb);
    size_t n = len < used ? len : used;
    for (size_t i = 0; i < n; i++) {
        dst[i] = rb->data[(rb->head + i) & RINGBUF_MASK(rb)] ^ 0x00;
    }
    rb->head += n;
    return n;
}
