#!/usr/bin/env bash
# Dump benchmark: vmcore-dump save against makedumpfile on the same ELF vmcore, in one run.
#
#   Benchmarks/dump/dump-benchmark.sh VMCORE [OUTDIR]
#
# For each dump level (0, 1, 31) and codec, runs both tools single-threaded and with all cores,
# page cache warm (the vmcore is read once first; the fastest of three `cat VMCORE > /dev/null`
# is the reading baseline), and prints a Markdown table: wall seconds, peak RSS (MiB, from
# /usr/bin/time), output bytes, and the ratio makedumpfile/vmcore-dump for time. The
# outputs go to OUTDIR (default: a temporary directory, removed at the end).
#
# Codecs: vmcore-dump zlib|lzo|zstd; makedumpfile -c (zlib), -l (lzo). Debian's makedumpfile
# 1.7.2 is built without zstd (its -z writes uncompressed pages), so zstd is compared against
# its lzo and zlib rows. Environment: VMCORE_DUMP (binary; default: swift build -c release),
# MAKEDUMPFILE (default makedumpfile), LEVELS ("0 1 31"), CODECS ("zlib lzo zstd"), THREADS
# ("1 N" with N = nproc).
set -euo pipefail

vmcore=${1:?usage: dump-benchmark.sh VMCORE [OUTDIR]}
outdir=${2:-}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
if [ -z "${VMCORE_DUMP:-}" ]; then
    (cd "$here" && swift build -c release --product vmcore-dump >/dev/null)
    VMCORE_DUMP="$(cd "$here" && swift build -c release --show-bin-path)/vmcore-dump"
fi
MAKEDUMPFILE=${MAKEDUMPFILE:-makedumpfile}
LEVELS=${LEVELS:-"0 1 31"}
CODECS=${CODECS:-"zlib lzo zstd"}
cores=$(nproc)
THREADS=${THREADS:-"1 $cores"}
cleanup=0
if [ -z "$outdir" ]; then outdir=$(mktemp -d); cleanup=1; fi
mkdir -p "$outdir"
trap '[ "$cleanup" = 1 ] && rm -rf "$outdir"' EXIT

# measure LABEL OUTPUT CMD...: runs CMD under /usr/bin/time; prints "seconds rss_mib bytes".
measure() {
    local output=$1; shift
    rm -f "$output"
    /usr/bin/time -f '%e %M' -o "$outdir/time.txt" "$@" >/dev/null 2>"$outdir/stderr.txt" || {
        echo "benchmark: command failed: $*" >&2; tail -n 5 "$outdir/stderr.txt" >&2; return 1; }
    local seconds rss bytes=0
    read -r seconds rss <"$outdir/time.txt"
    [ -f "$output" ] && bytes=$(stat -c %s "$output")
    echo "$seconds $((rss / 1024)) $bytes"
}

size=$(stat -c %s "$vmcore")
cat "$vmcore" >/dev/null
# The reading baseline: the fastest of three cats (its time varies run to run here).
cat_s=
for _ in 1 2 3; do
    read -r seconds _ _ < <(measure /dev/null cat "$vmcore")
    if [ -z "$cat_s" ] || awk -v a="$seconds" -v b="$cat_s" 'BEGIN { exit !(a < b) }'; then cat_s=$seconds; fi
done
echo "# dump benchmark on $(basename "$vmcore") ($((size / 1000000)) MB), $cores cores, $(date -u +%F)"
echo
echo "cat: ${cat_s}s ($(awk -v b="$size" -v s="$cat_s" 'BEGIN { printf "%.0f", (s > 0 ? b / s / 1e6 : 0) }') MB/s)"
echo
echo "| level | codec | threads | makedumpfile s | vmcore-dump s | speedup | makedumpfile MiB | vmcore-dump MiB | makedumpfile bytes | vmcore-dump bytes | vmcore-dump MB/s of input |"
echo "|---|---|---|---|---|---|---|---|---|---|---|"
for level in $LEVELS; do
    for codec in $CODECS; do
        case $codec in
            zlib) mflag=-c ;;
            lzo) mflag=-l ;;
            *) mflag="" ;;
        esac
        for threads in $THREADS; do
            if [ -n "$mflag" ]; then
                margs=("$MAKEDUMPFILE" -d "$level" "$mflag")
                [ "$threads" -gt 1 ] && margs+=(--num-threads "$threads")
                # A failed makedumpfile run (its --num-threads has died at exit here:
                # "libgcc_s.so.1 must be installed for pthread_exit to work") is reported, not fatal.
                if ! read -r m_s m_rss m_bytes < <(measure "$outdir/m.kdump" "${margs[@]}" "$vmcore" "$outdir/m.kdump"); then
                    m_s=failed; m_rss=-; m_bytes=-
                fi
            else
                m_s=-; m_rss=-; m_bytes=-
            fi
            read -r o_s o_rss o_bytes < <(measure "$outdir/o.kdump" "$VMCORE_DUMP" save -d "$level" --compress "$codec" \
                --threads "$threads" "$vmcore" "$outdir/o.kdump")
            speedup=$(awk -v m="$m_s" -v o="$o_s" 'BEGIN { if (m == "-" || m == "failed" || o == 0) print "-"; else printf "%.2fx", m / o }')
            rate=$(awk -v b="$size" -v s="$o_s" 'BEGIN { printf "%.0f", (s > 0 ? b / s / 1e6 : 0) }')
            echo "| $level | $codec | $threads | $m_s | $o_s | $speedup | $m_rss | $o_rss | $m_bytes | $o_bytes | $rate |"
        done
    done
done
