"""make bench: one format for every figure. Each row prints the measured
value, its reference measured in the same run (native, DPDK rte_ring, memcpy,
...), the ratio or difference that the goal is stated in, the goal, and
whether it is met. Every script under tests/bench/ prints its rows with
row(); ring_bench.c prints the same columns itself."""

WIDTHS = (46, 14, 14, 12, 12)


def header(title):
    """A section title and the column names."""
    print(f"\n{title}")
    print(f"{'figure':<{WIDTHS[0]}} {'Bulkhead':>{WIDTHS[1]}} {'reference':>{WIDTHS[2]}} "
          f"{'result':>{WIDTHS[3]}} {'goal':>{WIDTHS[4]}}  met")


def row(figure, value, reference, result, goal, met):
    """One figure. value/reference/result/goal are preformatted strings (or
    numbers); reference is '-' when the figure has none; met is a bool, or
    None for a figure reported without a goal (goal '-')."""
    mark = "-" if met is None else "yes" if met else "NO"
    print(f"{figure:<{WIDTHS[0]}} {str(value):>{WIDTHS[1]}} {str(reference):>{WIDTHS[2]}} "
          f"{str(result):>{WIDTHS[3]}} {str(goal):>{WIDTHS[4]}}  {mark}",
          flush=True)
