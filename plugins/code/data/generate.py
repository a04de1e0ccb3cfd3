"""Generate ``context_labels.csv``: does a short Python function favour the largest value or
the smallest?

``labels.csv`` (``make_labels.py``) asks which part of the standard library a function comes
from, which its identifiers and calls give away. This set asks what a function *does*, and
keeps every word and operator equally likely in both classes, so that only reading the code
answers it:

* ``largest``: it returns the largest value, or puts the largest value first;
* ``smallest``: it returns the smallest value, or puts the smallest value first.

Each template has two switches whose combination decides the label: ``a if a > b else b``
and ``b if a > b else a``; ``if x > best`` and ``if best > x``; ``max(xs)`` and
``max(xs, key=lambda x: -x)``; ``sorted(xs)[-1]`` and ``sorted(xs, reverse=True)[-1]``. The
identifiers (``items``, ``values``, ``entry``, ``best``, ``pick``, ...) are common in the
standard library that the code domain's default corpus is made of, and never name the
answer. Standard library only; a given seed always produces byte-identical output.

Usage: python generate.py [--out-dir DIR] [--seed N]
"""

from __future__ import annotations

import argparse
import csv
import io
import random
from pathlib import Path

ROWS_PER_CLASS = 200
FUNCTIONS = ("pick", "choose", "select", "resolve", "find", "get", "_pick", "_select",
             "choose_item", "pick_value", "select_entry", "find_item", "get_value", "lookup",
             "_choose", "extract")  # fmt: skip
SEQUENCES = ("items", "values", "data", "seq", "entries", "elements", "numbers", "parts",
             "nums", "args", "options", "weights")  # fmt: skip
ELEMENTS = ("item", "value", "x", "v", "elem", "e", "entry", "n", "k", "part", "option")
ACCUMULATORS = ("best", "result", "current", "chosen", "acc", "top", "found", "answer")
INDICES = ("i", "j", "idx", "pos", "index")
ARGUMENTS = (("a", "b"), ("x", "y"), ("first", "second"), ("left", "right"), ("this", "other"),
             ("value", "other"), ("u", "v"), ("p", "q"))  # fmt: skip
GREATER, LESS = (">", ">="), ("<", "<=")


def function(r: random.Random) -> tuple[str, bool]:
    """One function's source, and whether it favours the largest value."""
    f, seq = r.choice(FUNCTIONS), r.choice(SEQUENCES)
    x, acc, i = r.choice(ELEMENTS), r.choice(ACCUMULATORS), r.choice(INDICES)
    a, b = r.choice(ARGUMENTS)
    greater = r.random() < 0.5  # the comparison, or the builtin, or the sort, goes "up"
    flipped = r.random() < 0.5  # the second switch: operands, key or index turned around
    op = r.choice(GREATER if greater else LESS)
    hint = r.random() < 0.3
    one = f"def {f}({a}: int, {b}: int) -> int:" if hint else f"def {f}({a}, {b}):"
    many = f"def {f}({seq}: list[int]) -> int:" if hint else f"def {f}({seq}):"
    guard = f"    if not {seq}:\n        return None\n" if r.random() < 0.3 else ""
    kind = r.randrange(7)
    if kind == 0:  # conditional expression: which operand comes back when the test holds
        p, q = (b, a) if flipped else (a, b)
        body = f"{one}\n    return {p} if {a} {op} {b} else {q}"
    elif kind == 1:  # if statement, the same switches
        p, q = (b, a) if flipped else (a, b)
        body = f"{one}\n    if {a} {op} {b}:\n        return {p}\n    return {q}"
    elif kind == 2:  # running best: which side of the comparison the candidate is on
        lhs, rhs = (acc, x) if flipped else (x, acc)
        rest = r.choice((f"{seq}[1:]", seq))
        body = (
            f"{many}\n{guard}    {acc} = {seq}[0]\n    for {x} in {rest}:\n"
            f"        if {lhs} {op} {rhs}:\n            {acc} = {x}\n    return {acc}"
        )
    elif kind == 3:  # running best by index
        lhs, rhs = (f"{seq}[{acc}]", f"{seq}[{i}]") if flipped else (f"{seq}[{i}]", f"{seq}[{acc}]")
        body = (
            f"{many}\n{guard}    {acc} = 0\n    for {i} in range(1, len({seq})):\n"
            f"        if {lhs} {op} {rhs}:\n            {acc} = {i}\n    return {seq}[{acc}]"
        )
    elif kind == 4:  # a builtin, with the values negated or not
        name = "max" if greater else "min"
        call = r.choice(
            (f"{name}({seq}, key=lambda {x}: -{x})", f"-{name}(-{x} for {x} in {seq})")
            if flipped
            else (f"{name}({seq})", f"{name}({seq}, key=lambda {x}: {x})")
        )
        body = f"{many}\n{guard}    return {call}"
    elif kind == 5:  # sorted, either way round, then one end of it
        reverse = ", reverse=True" if flipped else ""
        end = r.choice(("-1", f"len({acc}) - 1")) if greater else "0"
        body = f"{many}\n{guard}    {acc} = sorted({seq}{reverse})\n    return {acc}[{end}]"
    else:  # a sorted list: which end comes first
        many = f"def {f}({seq}: list[int]) -> list[int]:" if hint else f"def {f}({seq}):"
        key = f", key=lambda {x}: -{x}" if flipped else ""
        reverse = ", reverse=True" if greater else ""
        body = f"{many}\n    return sorted({seq}{key}{reverse})"
    largest = greater != flipped
    check(body, largest)
    return body, largest


def check(source: str, largest: bool) -> None:
    """Run the function on a few lists (or pairs) and make sure it does what its label says."""
    namespace: dict[str, object] = {}
    exec(source, namespace)  # our own generated source
    func = next(v for k, v in namespace.items() if k != "__builtins__")
    rng = random.Random(source)
    pairs = source.count(",", 0, source.index(")")) == 1
    for _ in range(20):
        values = rng.sample(range(-50, 50), 2 if pairs else rng.randint(2, 7))
        got = func(*values) if pairs else func(list(values))
        got = got[0] if isinstance(got, list) else got
        assert got == (max(values) if largest else min(values)), source


def build_context_labels(seed: int = 0) -> list[tuple[str, str]]:
    """ROWS_PER_CLASS unique functions per class, shuffled."""
    r = random.Random(seed)
    rows: list[tuple[str, str]] = []
    seen: set[str] = set()
    counts = {"largest": 0, "smallest": 0}
    while min(counts.values()) < ROWS_PER_CLASS:
        text, largest = function(r)
        label = "largest" if largest else "smallest"
        if text not in seen and counts[label] < ROWS_PER_CLASS:
            seen.add(text)
            counts[label] += 1
            rows.append((text, label))
    r.shuffle(rows)
    return rows


def main(out_dir: Path, seed: int = 0) -> dict[str, object]:
    """Write context_labels.csv into out_dir; return summary statistics."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    rows = build_context_labels(seed)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(("text", "label"))
    writer.writerows(rows)
    (out_dir / "context_labels.csv").write_bytes(buf.getvalue().encode("utf-8"))
    return {"context_label_rows": len(rows)}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out-dir", type=Path, default=Path(__file__).resolve().parent)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    print(main(args.out_dir, args.seed))
