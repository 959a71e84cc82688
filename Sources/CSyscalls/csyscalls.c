#define _GNU_SOURCE
#include <unistd.h>
#include "csyscalls.h"

int sportello_syncfs(int fd) {
    return syncfs(fd);
}
