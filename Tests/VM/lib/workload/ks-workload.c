// ks-workload: a tiny static helper for make-vmcore.sh guests (built on the host with
// `clang -static -O2`, runs in a busybox initramfs). It puts recognisable data into the first
// kernel's memory before the crash, and copies /proc/vmcore out in the capture kernel.
//
//   ks-workload hold MIB [SEED]       anonymous memory, filled; the parent returns once the
//                                     memory is filled, a child keeps it (pause()) until the crash.
//                                     The first half is madvise(MADV_HUGEPAGE), the rest
//                                     MADV_NOHUGEPAGE, so both THP and 4 KiB user pages exist.
//   ks-workload fill PATH MIB [SEED]  buffered writes of MIB MiB to PATH (a file, or a block
//                                     device whose page cache then holds the data), then fsync.
//   ks-workload copy SRC DST          copies SRC to DST in 4 MiB blocks, DST opened with
//                                     O_DIRECT when it allows (a short last block is padded with
//                                     zeros to 512 bytes); prints "bytes N" (bytes read from SRC).
//
// Page contents (hold and fill), chosen per 4 KiB page by a hash of (seed, page index):
//   1/8 zero-filled (written, so they are real pages, not the shared zero page),
//   1/8 one repeated byte, 2/8 text lines, 4/8 xorshift64 pseudo-random.
// Every page that is not zero-filled starts with a 32-byte header:
//   "KSWL" kind(1 byte: 'B' byte, 'T' text, 'R' random) 3 spaces, seed (u64 LE), page index
//   (u64 LE), "kswl-end" — so a dump reader can find and check them.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#define PAGE 4096u
#define MIB (1024u * 1024u)
#define COPY_BLOCK (4u * MIB)

static uint64_t mix64(uint64_t x) {
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return x;
}

static void put_header(unsigned char *p, char kind, uint64_t seed, uint64_t index) {
    memcpy(p, "KSWL", 4);
    p[4] = (unsigned char)kind;
    memcpy(p + 5, "   ", 3);
    memcpy(p + 8, &seed, 8);
    memcpy(p + 16, &index, 8);
    memcpy(p + 24, "kswl-end", 8);
}

// fill_page: writes the contents described at the top of the file into one 4 KiB page.
static void fill_page(unsigned char *p, uint64_t seed, uint64_t index) {
    uint64_t h = mix64(seed * 0x9e3779b97f4a7c15ULL + index);
    switch (h & 7) {
    case 0:
        memset(p, 0, PAGE);
        return;
    case 1:
        memset(p, (int)(0x20 + (h >> 8) % 0x5f), PAGE);
        put_header(p, 'B', seed, index);
        return;
    case 2:
    case 3: {
        size_t off = 32;
        unsigned line = 0;
        while (off < PAGE) {
            char buf[96];
            int n = snprintf(buf, sizeof buf, "ks-workload seed %" PRIu64 " page %" PRIu64
                             " line %u: the quick brown fox jumps over the lazy dog\n",
                             seed, index, line++);
            size_t len = (size_t)n < PAGE - off ? (size_t)n : PAGE - off;
            memcpy(p + off, buf, len);
            off += len;
        }
        put_header(p, 'T', seed, index);
        return;
    }
    default: {
        uint64_t x = h | 1;
        for (size_t off = 0; off < PAGE; off += 8) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            memcpy(p + off, &x, 8);
        }
        put_header(p, 'R', seed, index);
        return;
    }
    }
}

static unsigned long parse_mib(const char *s) {
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || *end || v == 0 || v > (1ul << 20)) {
        fprintf(stderr, "ks-workload: bad MiB count '%s'\n", s);
        exit(2);
    }
    return v;
}

static uint64_t parse_seed(int argc, char **argv, int i) {
    return i < argc ? strtoull(argv[i], NULL, 0) : 1;
}

static int cmd_hold(unsigned long mib, uint64_t seed) {
    int ready[2];
    if (pipe(ready) != 0) {
        perror("ks-workload: pipe");
        return 1;
    }
    pid_t pid = fork();
    if (pid < 0) {
        perror("ks-workload: fork");
        return 1;
    }
    if (pid > 0) {
        // Parent: wait until the child reports the memory filled (or dies).
        close(ready[1]);
        char c = 0;
        ssize_t n = read(ready[0], &c, 1);
        if (n == 1 && c == 'y') {
            printf("holding %lu MiB in pid %d\n", mib, (int)pid);
            return 0;
        }
        fprintf(stderr, "ks-workload: holder pid %d failed\n", (int)pid);
        waitpid(pid, NULL, WNOHANG);
        return 1;
    }
    close(ready[0]);
    setsid();
    // Let go of the caller's stdout/stderr, so `$(ks-workload hold ...)` returns.
    int null = open("/dev/null", O_RDWR);
    if (null >= 0) {
        dup2(null, 0);
        dup2(null, 1);
        dup2(null, 2);
        if (null > 2) close(null);
    }
    size_t size = (size_t)mib * MIB;
    unsigned char *mem = mmap(NULL, size, PROT_READ | PROT_WRITE,
                              MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED) {
        perror("ks-workload: mmap");
        _exit(1);
    }
    size_t half = (size / 2) & ~(size_t)(2 * MIB - 1);
    if (half) madvise(mem, half, MADV_HUGEPAGE);
    if (size > half) madvise(mem + half, size - half, MADV_NOHUGEPAGE);
    for (size_t off = 0; off < size; off += PAGE) fill_page(mem + off, seed, off / PAGE);
    if (write(ready[1], "y", 1) != 1) _exit(1);
    close(ready[1]);
    for (;;) pause();
}

static int cmd_fill(const char *path, unsigned long mib, uint64_t seed) {
    int fd = open(path, O_WRONLY | O_CREAT, 0644);
    if (fd < 0) {
        fprintf(stderr, "ks-workload: open %s: %s\n", path, strerror(errno));
        return 1;
    }
    static unsigned char block[MIB];
    for (unsigned long m = 0; m < mib; m++) {
        for (size_t off = 0; off < MIB; off += PAGE)
            fill_page(block + off, seed, (uint64_t)m * (MIB / PAGE) + off / PAGE);
        size_t done = 0;
        while (done < MIB) {
            ssize_t n = write(fd, block + done, MIB - done);
            if (n <= 0) {
                fprintf(stderr, "ks-workload: write %s after %lu MiB: %s\n", path, m,
                        n < 0 ? strerror(errno) : "short write");
                close(fd);
                return 1;
            }
            done += (size_t)n;
        }
    }
    if (fsync(fd) != 0 && errno != EINVAL) {
        fprintf(stderr, "ks-workload: fsync %s: %s\n", path, strerror(errno));
        close(fd);
        return 1;
    }
    close(fd);
    printf("filled %s with %lu MiB\n", path, mib);
    return 0;
}

static int cmd_copy(const char *src, const char *dst) {
    int in = open(src, O_RDONLY);
    if (in < 0) {
        fprintf(stderr, "ks-workload: open %s: %s\n", src, strerror(errno));
        return 1;
    }
    int direct = 1;
    int out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_DIRECT, 0644);
    if (out < 0 && errno == EINVAL) {
        direct = 0;
        out = open(dst, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    }
    if (out < 0) {
        fprintf(stderr, "ks-workload: open %s: %s\n", dst, strerror(errno));
        return 1;
    }
    unsigned char *buf;
    if (posix_memalign((void **)&buf, PAGE, COPY_BLOCK) != 0) {
        fprintf(stderr, "ks-workload: out of memory\n");
        return 1;
    }
    uint64_t total = 0, next_report = 256ull * MIB;
    for (;;) {
        size_t have = 0;
        while (have < COPY_BLOCK) {
            ssize_t n = read(in, buf + have, COPY_BLOCK - have);
            if (n < 0) {
                if (errno == EINTR) continue;
                fprintf(stderr, "ks-workload: read %s at %" PRIu64 ": %s\n", src,
                        total + have, strerror(errno));
                return 1;
            }
            if (n == 0) break;
            have += (size_t)n;
        }
        if (have == 0) break;
        size_t len = have;
        if (direct && len % 512) {
            size_t padded = (len + 511) & ~(size_t)511;
            memset(buf + len, 0, padded - len);
            len = padded;
        }
        size_t done = 0;
        while (done < len) {
            ssize_t n = write(out, buf + done, len - done);
            if (n <= 0) {
                if (n < 0 && errno == EINTR) continue;
                fprintf(stderr, "ks-workload: write %s at %" PRIu64 ": %s\n", dst,
                        total + done, n < 0 ? strerror(errno) : "short write");
                return 1;
            }
            done += (size_t)n;
        }
        total += have;
        if (total >= next_report) {
            fprintf(stderr, "ks-workload: copied %" PRIu64 " MiB\n", total / MIB);
            next_report += 256ull * MIB;
        }
        if (have < COPY_BLOCK) break;
    }
    if (fsync(out) != 0) {
        fprintf(stderr, "ks-workload: fsync %s: %s\n", dst, strerror(errno));
        return 1;
    }
    close(out);
    close(in);
    printf("bytes %" PRIu64 "\n", total);
    return 0;
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc >= 3 && strcmp(argv[1], "hold") == 0)
        return cmd_hold(parse_mib(argv[2]), parse_seed(argc, argv, 3));
    if (argc >= 4 && strcmp(argv[1], "fill") == 0)
        return cmd_fill(argv[2], parse_mib(argv[3]), parse_seed(argc, argv, 4));
    if (argc == 4 && strcmp(argv[1], "copy") == 0) return cmd_copy(argv[2], argv[3]);
    fprintf(stderr, "usage: ks-workload hold MIB [SEED] | fill PATH MIB [SEED] | copy SRC DST\n");
    return 2;
}
