"""Loads a .prof file written by profkit with Python's own pstats and checks it.

Usage: python3 check_prof.py FILE

Asserts what pstats, snakeviz and tuna need (types, 4-tuple edges, every caller also a key, a
root with no callers) and pstats' own consistency (per function with callers, the callers' call counts add up to
its ncalls; tottime <= cumtime), then prints:

    F <name> <nc> <cc>            per function
    E <caller> <callee> <nc> <cc> per edge
    ===== print_stats
    <what pstats' print_stats() prints, sorted by cumulative time, without the file header>
"""
import io
import sys
import pstats

path = sys.argv[1]
out = io.StringIO()
st = pstats.Stats(path, stream=out)
stats = st.stats

roots = 0
for key, (cc, nc, tt, ct, callers) in stats.items():
    file, line, name = key
    assert isinstance(file, str) and isinstance(line, int) and isinstance(name, str), key
    assert isinstance(cc, int) and isinstance(nc, int), key
    assert isinstance(tt, float) and isinstance(ct, float), key
    assert isinstance(callers, dict), key
    assert cc <= nc, key
    assert tt <= ct + 1e-12, (key, tt, ct)
    from_callers = 0
    for caller, edge in callers.items():
        assert caller in stats, f"caller {caller} of {key} is not a key"
        assert isinstance(edge, tuple) and len(edge) == 4, (key, caller, edge)
        enc, ecc, ett, ect = edge
        assert isinstance(enc, int) and isinstance(ecc, int), edge
        assert isinstance(ett, float) and isinstance(ect, float), edge
        assert ett <= ect + 1e-12 and ett <= tt + 1e-12, (key, caller, edge)
        from_callers += enc
    # Every call of a function with callers came from one of them (a top-level call of such a
    # function comes from profkit's `{profkit}` root).
    if callers:
        assert from_callers == nc, (key, from_callers, nc)
    if not callers:
        roots += 1
assert roots >= 1, "no root"

for (file, line, name), (cc, nc, tt, ct, callers) in sorted(stats.items(), key=lambda kv: kv[0][2]):
    print("F", name, nc, cc)
    for (cf, cl, cname), (enc, ecc, ett, ect) in sorted(callers.items(), key=lambda kv: kv[0][2]):
        print("E", cname, name, enc, ecc)

st.sort_stats("cumulative").print_stats()
text = out.getvalue()
# pstats.Stats(path) prints the file name and a blank line first.
print("===== print_stats")
sys.stdout.write(text.split("\n", 2)[2])
