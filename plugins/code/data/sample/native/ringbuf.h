#ifndef RINGBUF_H
#define RINGBUF_H

#include <stddef.h>
#include <stdint.h>

/* A fixed-size ring buffer of bytes; the capacity must be a power of two. */
typedef struct {
    uint8_t *data;
    size_t capacity;
    size_t head; /* next byte to read */
    size_t tail; /* next byte to write */
} ringbuf_t;

int ringbuf_init(ringbuf_t *rb, size_t capacity);
void ringbuf_free(ringbuf_t *rb);
size_t ringbuf_write(ringbuf_t *rb, const uint8_t *src, size_t len);
size_t ringbuf_read(ringbuf_t *rb, uint8_t *dst, size_t len);

#endif /* RINGBUF_H */
