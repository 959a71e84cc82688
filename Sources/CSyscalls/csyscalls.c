#define _GNU_SOURCE
#include <malloc.h>
#include <unistd.h>
#include "csyscalls.h"

int sportello_syncfs(int fd) {
    return syncfs(fd);
}

int sportello_set_mmap_threshold(int bytes) {
    return mallopt(M_MMAP_THRESHOLD, bytes);
}
