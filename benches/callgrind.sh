#!/bin/sh
# Instructions per profiled call, counted by callgrind, with profkit's `http` feature off and
# on (issue 24: the feature costs nothing per call until a request runs).
#
#   sh benches/callgrind.sh            # from the workspace root; needs valgrind
#
# Builds the example `hot_path_calls` twice (release), runs it under callgrind with
# collection on only inside its loop, for N1 and N2 calls, and prints the instructions of each
# run and (I(N2) - I(N1)) / (N2 - N1): the cost of one call, the loop's setup cancelled out.
# It exits 1 when the two per-call counts differ by half an instruction or more (`.ci/run` runs it).
set -eu
N1=${N1:-1000}
N2=${N2:-11000}
OUT=${OUT:-target/callgrind}
mkdir -p "$OUT"
for features in none http; do
    if [ "$features" = none ]; then
        cargo build -q --release -p profkit-examples --example hot_path_calls
    else
        cargo build -q --release -p profkit-examples --example hot_path_calls --features "$features"
    fi
    cp target/release/examples/hot_path_calls "$OUT/hot_path_calls-$features"
done
per_call=""
for features in none http; do
    counts=""
    for n in "$N1" "$N2"; do
        valgrind --tool=callgrind --callgrind-out-file="$OUT/out-$features-$n" \
            --toggle-collect='hot_path_calls::calls' \
            "$OUT/hot_path_calls-$features" "$n" >/dev/null 2>"$OUT/log-$features-$n"
        ir=$(callgrind_annotate "$OUT/out-$features-$n" 2>/dev/null \
            | awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1; exit }')
        counts="$counts $ir"
    done
    set -- $counts
    printf 'features=%s: %s calls: %s Ir, %s calls: %s Ir, per call: %d.%02d Ir\n' \
        "$features" "$N1" "$1" "$N2" "$2" $(( ($2 - $1) / (N2 - N1) )) \
        $(( ( ($2 - $1) % (N2 - N1) ) * 100 / (N2 - N1) ))
    # The instructions of N2 - N1 calls; runs differ by a few instructions in all (start-up
    # work such as hashing with a random seed), so the per-call counts are compared to within
    # half an instruction rather than truncated (192.99 and 193.01 are the same cost).
    per_call="$per_call $(( $2 - $1 ))"
done
set -- $per_call
diff=$(( $1 - $2 ))
if [ "$diff" -lt 0 ]; then diff=$(( -diff )); fi
if [ $(( diff * 2 )) -ge $(( N2 - N1 )) ]; then
    echo "error: a profiled call costs $(( ($1 + (N2 - N1) / 2) / (N2 - N1) )) instructions without http and $(( ($2 + (N2 - N1) / 2) / (N2 - N1) )) with it" >&2
    exit 1
fi
