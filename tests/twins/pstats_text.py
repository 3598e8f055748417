"""Prints Python pstats' print_stats() text for numbers given as JSON on stdin.

Input: {"stats": [[file, line, name, cc, nc, tt, ct, [[file, line, name, nc, cc, tt, ct], ...]], ...],
        "cases": [[sort_key, limit_or_null], ...]}
Output: for each case, the text print_stats() prints, followed by a line "=====case-end=====".
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
    for key, limit in data["cases"]:
        stats = {}
        for file, line, name, cc, nc, tt, ct, callers in data["stats"]:
            stats[(file, line, name)] = (
                cc, nc, tt, ct,
                {(f, l, n): (enc, ecc, ett, ect) for f, l, n, enc, ecc, ett, ect in callers},
            )
        out = io.StringIO()
        st = pstats.Stats(Numbers(stats), stream=out)
        st.sort_stats(key)
        if limit is None:
            st.print_stats()
        else:
            st.print_stats(limit)
        sys.stdout.write(out.getvalue())
        sys.stdout.write("=====case-end=====\n")


main()
