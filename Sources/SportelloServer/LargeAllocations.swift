import CSyscalls

/// glibc's malloc serves a block of 128 KiB or more with its own mapping, returned to the
/// system when freed — until such a block is freed: then it raises that threshold to the
/// block's size (up to 32 MiB), and blocks below it come from the heap, where freed memory
/// mostly stays. A server that reads a 512 KiB request piece, decodes it and lets it go, 66
/// times for one 25 MiB mail, kept the pieces' memory in its heap that way: measured with a
/// mail handed in by `sportello-mailgate`, peak RSS +80 MiB (3.3× the mail) and +43 MiB still
/// resident after; with the threshold fixed at 128 KiB, +64 MiB (2.6×) and +8.5 MiB after.
/// Setting the threshold explicitly is what turns the adjustment off (mallopt(3)).
public enum LargeAllocations {
    /// Keeps blocks of 128 KiB and more in mappings of their own, returned when freed. Call once,
    /// before serving.
    public static func returnToTheSystemWhenFreed() {
        _ = sportello_set_mmap_threshold(128 * 1024)
    }
}
