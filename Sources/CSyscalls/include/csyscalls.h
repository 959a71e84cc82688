// Linux system calls that Swift's Glibc module does not expose (they need _GNU_SOURCE).
#ifndef SPORTELLO_CSYSCALLS_H
#define SPORTELLO_CSYSCALLS_H

/// syncfs(2): writes every dirty page and inode of the file system holding `fd` to disk.
/// One call makes a whole batch of files durable (Maildir delivery), where an fsync per file
/// costs a journal commit each on ext4 with delayed allocation.
int sportello_syncfs(int fd);

/// mallopt(M_MMAP_THRESHOLD, bytes) (malloc.h, which Swift's Glibc module leaves out): blocks
/// of `bytes` and more get mappings of their own, and glibc stops moving the threshold.
/// Returns 1 on success.
int sportello_set_mmap_threshold(int bytes);

#endif
