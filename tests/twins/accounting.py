"""cProfile twin of tests/accounting.rs.

The same programs as the Rust scenarios, run under CPython's cProfile. Prints, per scenario,
every function's `ncalls primitive_calls` and every caller->callee edge's `ncalls primitive_calls`:

    S <scenario>
    F <function> <nc> <cc>
    E <caller> <callee> <nc> <cc>

tests/accounting.rs runs this file and requires profkit to produce exactly these lines.
Run it by hand with `python3 tests/twins/accounting.py`.
"""
import cProfile
import pstats


class chain:
    @staticmethod
    def a():
        chain.b()

    @staticmethod
    def b():
        chain.c()

    @staticmethod
    def c():
        pass


class n_plus_one:
    @staticmethod
    def fetch_row(i):
        return i

    @staticmethod
    def get_users():
        total = 0
        for i in range(847):
            total += n_plus_one.fetch_row(i)
        return total


def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)


class mutual:
    @staticmethod
    def is_even(n):
        return True if n == 0 else not mutual.is_odd(n)

    @staticmethod
    def is_odd(n):
        return mutual.is_even(n - 1)


class indirect:
    @staticmethod
    def a(n):
        indirect.b(n)

    @staticmethod
    def b(n):
        if n > 0:
            indirect.a(n - 1)


class two_callers:
    @staticmethod
    def shared():
        pass

    @staticmethod
    def left():
        two_callers.shared()

    @staticmethod
    def right():
        two_callers.shared()
        two_callers.shared()

    @staticmethod
    def top():
        two_callers.left()
        two_callers.right()


class panics:
    @staticmethod
    def boom(fail):
        if fail:
            raise ValueError("boom")

    @staticmethod
    def driver():
        try:
            panics.boom(True)
        except ValueError:
            pass
        panics.boom(False)
        panics.boom(False)


SCENARIOS = {
    "chain": chain.a,
    "n_plus_one": n_plus_one.get_users,
    "fib": lambda: fib(15),
    "mutual": lambda: mutual.is_even(5),
    "indirect": lambda: indirect.a(1),
    "two_callers": two_callers.top,
    "panics": panics.driver,
}

# Functions of this file only: drops the lambdas and the profiler's own `disable` entry, which have no counterpart in the Rust programs.
NAMES = {"a", "b", "c", "fetch_row", "get_users", "fib", "is_even", "is_odd", "shared",
         "left", "right", "top", "boom", "driver"}


def main():
    for scenario, run in SCENARIOS.items():
        prof = cProfile.Profile()
        prof.runcall(run)
        stats = pstats.Stats(prof).stats
        print("S", scenario)
        for (_, _, name), (cc, nc, _, _, callers) in sorted(stats.items(), key=lambda kv: kv[0][2]):
            if name not in NAMES:
                continue
            print("F", name, nc, cc)
            for (_, _, caller), (enc, ecc, _, _) in sorted(callers.items(), key=lambda kv: kv[0][2]):
                if caller in NAMES:
                    print("E", caller, name, enc, ecc)


if __name__ == "__main__":
    main()
