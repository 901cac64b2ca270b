// SPDX-License-Identifier: Apache-2.0
//
// kexec-apply: load a kexec plan file (docs/plan-file.md, version 1) with
// kexec_load(2) and reboot into it.
//
//     kexec-apply [--load-only] [--check] PLANFILE
//
// Freestanding: no libc, no varargs, no floating point. Every system call goes
// through ka_syscall() from start-<arch>.S, which also holds _start. Exit codes:
// 0 done (or --check passed), 1 the kernel refused (kexec_load or reboot
// failed), 2 bad plan, bad usage or the plan file could not be read.

typedef __UINT8_TYPE__ u8;
typedef __UINT32_TYPE__ u32;
typedef __UINT64_TYPE__ u64;
typedef unsigned long ulong;

_Static_assert(sizeof(ulong) == sizeof(void *), "unsigned long must hold a pointer");

#if defined(__x86_64__)
#define ARCH_NAME "x86_64"
#define ARCH_MACHINE 62u
#define NR_READ 0
#define NR_WRITE 1
#define NR_OPEN 2
#define NR_CLOSE 3
#define NR_LSEEK 8
#define NR_MMAP 9 // offset argument in bytes (we pass 0)
#define NR_SYNC 162
#define NR_REBOOT 169
#define NR_KEXEC_LOAD 246
#elif defined(__i386__)
#define ARCH_NAME "i386"
#define ARCH_MACHINE 3u
#define NR_READ 3
#define NR_WRITE 4
#define NR_OPEN 5
#define NR_CLOSE 6
#define NR_LSEEK 19
#define NR_MMAP 192 // mmap2: offset argument in pages (we pass 0)
#define NR_SYNC 36
#define NR_REBOOT 88
#define NR_KEXEC_LOAD 283
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define ARCH_NAME "ppc64le"
#define ARCH_MACHINE 21u
#define NR_READ 3
#define NR_WRITE 4
#define NR_OPEN 5
#define NR_CLOSE 6
#define NR_LSEEK 19
#define NR_MMAP 90 // offset argument in bytes (we pass 0)
#define NR_SYNC 36
#define NR_REBOOT 88
#define NR_KEXEC_LOAD 268
#else
#error "kexec-apply supports x86_64, i386 and powerpc64le"
#endif

#define ADDRESS_BITS_32 (__SIZEOF_LONG__ == 4)

// Plan file format (docs/plan-file.md).
#define PLAN_HEADER_SIZE 64u
#define PLAN_DESCRIPTOR_SIZE 32u
#define PLAN_VERSION 1u
#define PLAN_BYTE_ORDER_MARK 0x01020304u
#define PLAN_BYTE_ORDER_SWAPPED 0x04030201u
#define PLAN_MAX_SEGMENTS 16u
#define PLAN_PAGE 4096u // the smallest page of every supported kernel

// Kernel constants.
#define O_RDONLY 0
#define SEEK_SET 0
#define SEEK_END 2
#define PROT_READ 1
#define PROT_WRITE 2
#define MAP_PRIVATE 2
#define MAP_ANONYMOUS 0x20 // same value on x86 and powerpc
#define REBOOT_MAGIC1 0xfee1deadul
#define REBOOT_MAGIC2 0x28121969ul
#define REBOOT_CMD_KEXEC 0x45584543ul

long ka_syscall(long nr, long a1, long a2, long a3, long a4, long a5, long a6);
int ka_main(int argc, char **argv, char **envp);

static long sys(long nr, long a1, long a2, long a3) { return ka_syscall(nr, a1, a2, a3, 0, 0, 0); }

// The kernel returns -4095..-1 for -errno (the powerpc gate converts to this).
static int is_error(long r) { return (ulong)r >= (ulong)-4095L; }

// ---------------------------------------------------------------- output

static char out_buf[512];
static ulong out_len;
static int out_fd = 1;

static void out_flush(void)
{
    ulong done = 0;
    while (done < out_len) {
        long r = sys(NR_WRITE, out_fd, (long)(out_buf + done), (long)(out_len - done));
        if (r == -4) // EINTR
            continue;
        if (is_error(r) || r == 0)
            break; // nowhere left to report to
        done += (ulong)r;
    }
    out_len = 0;
}

static void put_char(char c)
{
    if (out_len == sizeof(out_buf))
        out_flush();
    out_buf[out_len++] = c;
}

static void put_str(const char *s)
{
    while (*s)
        put_char(*s++);
}

static void put_hex(u64 v)
{
    int shift = 60;
    put_str("0x");
    while (shift > 0 && ((v >> shift) & 0xf) == 0)
        shift -= 4;
    for (; shift >= 0; shift -= 4)
        put_char("0123456789abcdef"[(v >> shift) & 0xf]);
}

// Decimal by repeated subtraction: no 64-bit division (a libgcc call on i386).
static void put_dec(u64 v)
{
    static const u64 powers[] = {
        10000000000000000000ull, 1000000000000000000ull, 100000000000000000ull,
        10000000000000000ull, 1000000000000000ull, 100000000000000ull,
        10000000000000ull, 1000000000000ull, 100000000000ull, 10000000000ull,
        1000000000ull, 100000000ull, 10000000ull, 1000000ull, 100000ull,
        10000ull, 1000ull, 100ull, 10ull, 1ull,
    };
    int started = 0;
    for (ulong i = 0; i < sizeof(powers) / sizeof(powers[0]); i++) {
        char digit = '0';
        while (v >= powers[i]) {
            v -= powers[i];
            digit++;
        }
        if (digit != '0' || started || powers[i] == 1) {
            put_char(digit);
            started = 1;
        }
    }
}

static int str_eq(const char *a, const char *b)
{
    while (*a && *a == *b) {
        a++;
        b++;
    }
    return *a == *b;
}

// Whether S begins with PREFIX; S need not be NUL-terminated.
static int starts_with(const char *s, const char *prefix)
{
    while (*prefix)
        if (*s++ != *prefix++)
            return 0;
    return 1;
}

static const char *errno_name(long e)
{
    switch (e) {
    case 1: return "EPERM";
    case 2: return "ENOENT";
    case 4: return "EINTR";
    case 5: return "EIO";
    case 8: return "ENOEXEC";
    case 9: return "EBADF";
    case 12: return "ENOMEM";
    case 13: return "EACCES";
    case 14: return "EFAULT";
    case 16: return "EBUSY";
    case 20: return "ENOTDIR";
    case 21: return "EISDIR";
    case 22: return "EINVAL";
    case 27: return "EFBIG";
    case 29: return "ESPIPE";
    case 38: return "ENOSYS";
    case 75: return "EOVERFLOW";
    case 99: return "EADDRNOTAVAIL";
    default: return "errno";
    }
}

// "ENOENT (2)"
static void put_errno(long e)
{
    put_str(errno_name(e));
    put_str(" (");
    put_dec((u64)e);
    put_str(")");
}

// ---------------------------------------------------------------- plan file

static const char *plan_path;

struct plan_segment {
    u64 mem, memsz, offset, bufsz;
};

static struct plan_segment plan_segments[PLAN_MAX_SEGMENTS];
static u32 plan_count;
static u64 plan_flags;
static u64 plan_entry;

// Begins the one-line complaint about FIELD (segment index or -1) on stderr.
static void bad(long segment, const char *field)
{
    out_flush();
    out_fd = 2;
    put_str("kexec-apply: ");
    put_str(plan_path);
    put_str(": ");
    if (segment >= 0) {
        put_str("segment ");
        put_dec((u64)segment);
        put_str(" ");
    }
    put_str(field);
    put_str(": ");
}

// Ends the complaint; the exit status for a bad plan.
static int bad_end(void)
{
    put_char('\n');
    out_flush();
    return 2;
}

static u32 rd32(const u8 *p)
{
    u32 v;
    __builtin_memcpy(&v, p, sizeof(v)); // native byte order
    return v;
}

static u64 rd64(const u8 *p)
{
    u64 v;
    __builtin_memcpy(&v, p, sizeof(v));
    return v;
}

static const char *machine_name(u32 machine)
{
    switch (machine) {
    case 3: return "i386";
    case 20: return "ppc";
    case 21: return "ppc64";
    case 62: return "x86_64";
    default: return "unknown";
    }
}

// Reads the whole file into an anonymous mapping. Returns 0 or the exit status.
static int read_plan(u8 **data_out, ulong *size_out)
{
    long fd = sys(NR_OPEN, (long)plan_path, O_RDONLY, 0);
    if (is_error(fd)) {
        bad(-1, "plan file");
        put_str("cannot open: ");
        put_errno(-fd);
        return bad_end();
    }
    long end = sys(NR_LSEEK, fd, 0, SEEK_END);
    long rewind = is_error(end) ? end : sys(NR_LSEEK, fd, 0, SEEK_SET);
    if (is_error(end) || is_error(rewind)) {
        bad(-1, "plan file");
        put_str("cannot get its size (a regular file is needed): ");
        put_errno(-(is_error(end) ? end : rewind));
        sys(NR_CLOSE, fd, 0, 0);
        return bad_end();
    }
    ulong size = (ulong)end;
    u8 *data = 0;
    if (size >= PLAN_HEADER_SIZE) { // shorter files fail validation unread
        long map = ka_syscall(NR_MMAP, 0, (long)size, PROT_READ | PROT_WRITE,
                              MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (is_error(map)) {
            bad(-1, "plan file");
            put_str("cannot map ");
            put_dec(size);
            put_str(" bytes for it: ");
            put_errno(-map);
            sys(NR_CLOSE, fd, 0, 0);
            return bad_end();
        }
        data = (u8 *)map;
        ulong done = 0;
        while (done < size) {
            ulong chunk = size - done;
            if (chunk > 0x40000000ul)
                chunk = 0x40000000ul;
            long r = sys(NR_READ, fd, (long)(data + done), (long)chunk);
            if (r == -4) // EINTR
                continue;
            if (is_error(r) || r == 0) {
                bad(-1, "plan file");
                if (r == 0) {
                    put_str("shrank while being read");
                } else {
                    put_str("read failed: ");
                    put_errno(-r);
                }
                sys(NR_CLOSE, fd, 0, 0);
                return bad_end();
            }
            done += (ulong)r;
        }
    }
    sys(NR_CLOSE, fd, 0, 0);
    *data_out = data;
    *size_out = size;
    return 0;
}

// Checks everything docs/plan-file.md asks of a reader, plus what a 32-bit
// struct kexec_segment can hold. Returns 0 or the exit status (2).
static int validate_plan(const u8 *p, ulong size)
{
    if (size < PLAN_HEADER_SIZE) {
        bad(-1, "header");
        put_str("truncated: the file has ");
        put_dec(size);
        put_str(" bytes, the header alone needs 64");
        return bad_end();
    }
    if (!starts_with((const char *)p, "KXPLAN01")) {
        bad(-1, "magic");
        put_str("not \"KXPLAN01\", this is not a kexec plan file");
        return bad_end();
    }
    u32 mark = rd32(p + 36);
    if (mark != PLAN_BYTE_ORDER_MARK) {
        bad(-1, "byte-order mark");
        if (mark == PLAN_BYTE_ORDER_SWAPPED) {
            put_str("plan is for the other byte order");
        } else {
            put_hex(mark);
            put_str(" is not 0x01020304");
        }
        return bad_end();
    }
    u32 version = rd32(p + 8);
    if (version != PLAN_VERSION) {
        bad(-1, "version");
        put_dec(version);
        put_str(" is not supported, this kexec-apply reads version 1");
        return bad_end();
    }
    u32 header_size = rd32(p + 12);
    if (header_size != PLAN_HEADER_SIZE) {
        bad(-1, "header size");
        put_dec(header_size);
        put_str(", expected 64");
        return bad_end();
    }
    u32 machine = rd32(p + 16);
    if (machine != ARCH_MACHINE) {
        bad(-1, "machine");
        put_str("plan is for ELF machine ");
        put_dec(machine);
        put_str(" (");
        put_str(machine_name(machine));
        put_str("), this kexec-apply is for " ARCH_NAME " (");
        put_dec(ARCH_MACHINE);
        put_str(")");
        return bad_end();
    }
    if (rd32(p + 20) != 0 || rd64(p + 56) != 0) {
        bad(-1, "reserved");
        put_str("the reserved field at offset ");
        put_str(rd32(p + 20) != 0 ? "20" : "56");
        put_str(" is not 0");
        return bad_end();
    }
    u32 count = rd32(p + 32);
    if (count < 1 || count > PLAN_MAX_SEGMENTS) {
        bad(-1, "segment count");
        put_dec(count);
        put_str(", expected 1 to 16");
        return bad_end();
    }
    u64 file_size = rd64(p + 48);
    if (file_size != (u64)size) {
        bad(-1, "file size");
        put_str("the header says ");
        put_dec(file_size);
        put_str(" bytes, the file has ");
        put_dec(size);
        return bad_end();
    }
    ulong table_end = PLAN_HEADER_SIZE + PLAN_DESCRIPTOR_SIZE * count;
    if (table_end > size) {
        bad(-1, "segment count");
        put_dec(count);
        put_str(" descriptors end at byte ");
        put_dec(table_end);
        put_str(", past the end of the file (");
        put_dec(size);
        put_str(" bytes)");
        return bad_end();
    }
    u64 flags = rd64(p + 24);
    u64 entry = rd64(p + 40);
    if (ADDRESS_BITS_32 && (flags >> 32) != 0) {
        bad(-1, "flags");
        put_hex(flags);
        put_str(" does not fit the 32-bit kexec_load argument");
        return bad_end();
    }
    if (ADDRESS_BITS_32 && (entry >> 32) != 0) {
        bad(-1, "entry");
        put_hex(entry);
        put_str(" is not below 4 GiB (32-bit kexec_load)");
        return bad_end();
    }

    for (u32 i = 0; i < count; i++) {
        const u8 *d = p + PLAN_HEADER_SIZE + PLAN_DESCRIPTOR_SIZE * i;
        u64 mem = rd64(d), memsz = rd64(d + 8), offset = rd64(d + 16), bufsz = rd64(d + 24);
        if (bufsz > memsz) {
            bad(i, "bufsz");
            put_hex(bufsz);
            put_str(" is larger than memsz ");
            put_hex(memsz);
            return bad_end();
        }
        if (offset & 7) {
            bad(i, "offset");
            put_hex(offset);
            put_str(" is not 8-byte aligned");
            return bad_end();
        }
        if (offset > (u64)size) {
            bad(i, "offset");
            put_hex(offset);
            put_str(" is past the end of the file (");
            put_hex(size);
            put_str(" bytes)");
            return bad_end();
        }
        if (bufsz > (u64)size - offset) {
            bad(i, "bufsz");
            put_hex(bufsz);
            put_str(" bytes at offset ");
            put_hex(offset);
            put_str(" run past the end of the file (");
            put_hex(size);
            put_str(" bytes)");
            return bad_end();
        }
        if (bufsz != 0 && offset < table_end) {
            bad(i, "offset");
            put_hex(offset);
            put_str(" points into the header or the segment table (they end at ");
            put_hex(table_end);
            put_str(")");
            return bad_end();
        }
        if (mem & (PLAN_PAGE - 1)) {
            bad(i, "mem");
            put_hex(mem);
            put_str(" is not page-aligned");
            return bad_end();
        }
        if (memsz & (PLAN_PAGE - 1)) {
            bad(i, "memsz");
            put_hex(memsz);
            put_str(" is not a multiple of the page size");
            return bad_end();
        }
        u64 end = mem + memsz;
        if (end < mem) {
            bad(i, "memsz");
            put_str("mem ");
            put_hex(mem);
            put_str(" + memsz ");
            put_hex(memsz);
            put_str(" wraps around");
            return bad_end();
        }
        if (ADDRESS_BITS_32 && (end >> 32) != 0) {
            bad(i, "mem");
            put_hex(mem);
            put_str(" + memsz ");
            put_hex(memsz);
            put_str(" is not below 4 GiB (32-bit struct kexec_segment)");
            return bad_end();
        }
        for (u32 j = 0; j < i; j++) {
            const struct plan_segment *o = &plan_segments[j];
            if (memsz != 0 && o->memsz != 0 && mem < o->mem + o->memsz && o->mem < end) {
                bad(i, "mem");
                put_hex(mem);
                put_str("-");
                put_hex(end);
                put_str(" overlaps segment ");
                put_dec(j);
                put_str(" (");
                put_hex(o->mem);
                put_str("-");
                put_hex(o->mem + o->memsz);
                put_str(")");
                return bad_end();
            }
        }
        plan_segments[i].mem = mem;
        plan_segments[i].memsz = memsz;
        plan_segments[i].offset = offset;
        plan_segments[i].bufsz = bufsz;
    }
    plan_count = count;
    plan_flags = flags;
    plan_entry = entry;
    return 0;
}

static void print_summary(void)
{
    out_fd = 1;
    put_str("kexec-apply: ");
    put_str(plan_path);
    put_str(": valid plan for " ARCH_NAME "\n");
    put_str("entry ");
    put_hex(plan_entry);
    put_str(", flags ");
    put_hex(plan_flags);
    put_str(", ");
    put_dec(plan_count);
    put_str(plan_count == 1 ? " segment\n" : " segments\n");
    for (u32 i = 0; i < plan_count; i++) {
        put_str("segment ");
        put_dec(i);
        put_str(": mem ");
        put_hex(plan_segments[i].mem);
        put_str(" memsz ");
        put_hex(plan_segments[i].memsz);
        put_str(" bufsz ");
        put_hex(plan_segments[i].bufsz);
        put_str(" offset ");
        put_hex(plan_segments[i].offset);
        put_char('\n');
    }
    out_flush();
}

// ---------------------------------------------------------------- kexec

// The native struct kexec_segment: 4 x 32 bits on i386, 4 x 64 bits on 64-bit.
struct kexec_segment {
    const void *buf;
    ulong bufsz;
    ulong mem;
    ulong memsz;
};

static struct kexec_segment kexec_segments[PLAN_MAX_SEGMENTS];

static const char *kexec_load_hint(long e)
{
    switch (e) {
    case 1: return "not permitted: needs root (CAP_SYS_BOOT); kexec may also be disabled "
                   "(kernel.kexec_load_disabled), locked down (Secure Boot) or blocked by an LSM";
    case 16: return "another kexec load is in progress, try again";
    case 22: return "the kernel rejected the plan: flags or KEXEC_ARCH_* not accepted (a 32-bit "
                    "kexec-apply on a 64-bit kernel needs the kernel's arch in the flags), "
                    "overlapping segments or too many pages";
    case 99: return "a segment is misaligned for this kernel's page size, lies above its limit, "
                    "or (crash kernel) lies outside the crashkernel= region";
    case 12: return "the kernel could not allocate memory for the image";
    case 38: return "this kernel has no kexec_load (built without CONFIG_KEXEC)";
    case 14: return "the kernel could not read the segment list or a buffer";
    default: return "unexpected error";
    }
}

static const char *reboot_hint(long e)
{
    switch (e) {
    case 1: return "not permitted: needs root (CAP_SYS_BOOT)";
    case 22: return "no kexec image is loaded";
    default: return "unexpected error";
    }
}

static int live_calls_forbidden(char **envp)
{
    for (; envp && *envp; envp++)
        if (starts_with(*envp, "KEXEC_SUITE_FORBID_LIVE="))
            return 1;
    return 0;
}

static void kernel_failed(const char *call, long e, const char *hint)
{
    out_flush();
    out_fd = 2;
    put_str("kexec-apply: ");
    put_str(call);
    put_str(" failed: ");
    put_errno(e);
    put_str(": ");
    put_str(hint);
    put_char('\n');
    out_flush();
}

static int apply_plan(const u8 *data, int load_only, char **envp)
{
    for (u32 i = 0; i < plan_count; i++) {
        kexec_segments[i].buf = data + plan_segments[i].offset;
        kexec_segments[i].bufsz = (ulong)plan_segments[i].bufsz;
        kexec_segments[i].mem = (ulong)plan_segments[i].mem;
        kexec_segments[i].memsz = (ulong)plan_segments[i].memsz;
    }
    if (live_calls_forbidden(envp)) {
        kernel_failed("kexec_load", 1, "refused here: KEXEC_SUITE_FORBID_LIVE is set");
        return 1;
    }
    long r = ka_syscall(NR_KEXEC_LOAD, (long)(ulong)plan_entry, (long)plan_count,
                        (long)kexec_segments, (long)(ulong)plan_flags, 0, 0);
    if (is_error(r)) {
        kernel_failed("kexec_load", -r, kexec_load_hint(-r));
        return 1;
    }
    out_fd = 1;
    put_str("kexec-apply: loaded ");
    put_dec(plan_count);
    put_str(plan_count == 1 ? " segment, entry " : " segments, entry ");
    put_hex(plan_entry);
    put_char('\n');
    if (load_only) {
        out_flush();
        return 0;
    }
    put_str("kexec-apply: syncing and rebooting into the loaded kernel\n");
    out_flush();
    sys(NR_SYNC, 0, 0, 0);
    r = ka_syscall(NR_REBOOT, (long)REBOOT_MAGIC1, (long)REBOOT_MAGIC2, (long)REBOOT_CMD_KEXEC,
                   0, 0, 0);
    kernel_failed("reboot", is_error(r) ? -r : 0, is_error(r) ? reboot_hint(-r) : "it returned");
    return 1;
}

// ---------------------------------------------------------------- main

static const char usage_text[] =
    "usage: kexec-apply [--load-only] [--check] PLANFILE\n"
    "  --check      validate the plan and print it; no kexec system call\n"
    "  --load-only  kexec_load the plan but do not reboot into it\n"
    "exit status: 0 done, 1 the kernel refused, 2 bad plan or usage\n";

static int usage_error(const char *what, const char *arg)
{
    out_fd = 2;
    put_str("kexec-apply: ");
    put_str(what);
    if (arg) {
        put_str(": ");
        put_str(arg);
    }
    put_char('\n');
    put_str(usage_text);
    out_flush();
    return 2;
}

int ka_main(int argc, char **argv, char **envp)
{
    int check = 0, load_only = 0, options_done = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!options_done && a[0] == '-' && a[1] != 0) {
            if (str_eq(a, "--check")) {
                check = 1;
            } else if (str_eq(a, "--load-only")) {
                load_only = 1;
            } else if (str_eq(a, "--")) {
                options_done = 1;
            } else if (str_eq(a, "-h") || str_eq(a, "--help")) {
                put_str(usage_text);
                out_flush();
                return 0;
            } else {
                return usage_error("unknown option", a);
            }
        } else if (plan_path) {
            return usage_error("more than one PLANFILE", a);
        } else {
            plan_path = a;
        }
    }
    if (!plan_path)
        return usage_error("no PLANFILE given", 0);

    u8 *data;
    ulong size;
    int status = read_plan(&data, &size);
    if (status == 0)
        status = validate_plan(data, size);
    if (status != 0)
        return status;
    if (check) {
        print_summary();
        return 0;
    }
    return apply_plan(data, load_only, envp);
}
