"""Prints Python pstats' print_stats() text for numbers given as JSON on stdin.

Input: {"stats": [[file, line, name, cc, nc, tt, ct, [[file, line, name, nc, cc, tt, ct], ...]], ...],
        "cases": [[method, sort_key, [restriction, ...]], ...]}
where method is print_stats, print_callers or print_callees and each restriction is an int, a
float or a str, passed to the method as pstats' *amount.
Output: for each case, the text the method prints, followed by a line "=====case-end=====".
The stats dict is built in the order given, which is the order pstats' stable sort keeps for ties.
"""
import io
import json
import pstats
import sys


class Numbers:
    """What pstats.Stats accepts in place of a profiler: an object with create_stats()."""

    def __init__(self, stats):
        self.stats = stats

    def create_stats(self):
        pass


def main():
    data = json.load(sys.stdin)
    for method, key, amount in data["cases"]:
        stats = {}
        for file, line, name, cc, nc, tt, ct, callers in data["stats"]:
            stats[(file, line, name)] = (
                cc, nc, tt, ct,
                {(f, l, n): (enc, ecc, ett, ect) for f, l, n, enc, ecc, ett, ect in callers},
            )
        out = io.StringIO()
        st = pstats.Stats(Numbers(stats), stream=out)
        st.sort_stats(key)
        getattr(st, method)(*amount)
        sys.stdout.write(out.getvalue())
        sys.stdout.write("=====case-end=====\n")


main()
