"""Claim expressions (`where`, `value`, `x`, `y` of a paper.yaml check) read as data, never run as code.

An expression may use the artifact's declared columns, literals, comparisons, boolean and arithmetic operators,
`in` with a literal list, the functions abs() and log10(), and on a column the methods max(), min(), mean(), median(),
groupby(<column>) and transform('max' | 'min' | 'mean'). Anything else (attribute access, other calls,
`@` references, lambdas, comprehensions, subscripts) is an error naming the claim, raised before pandas sees the
expression; `names` lists the columns an expression reads, so a misspelled one is caught by `ganrepro validate`.
"""

from __future__ import annotations

import ast

from ganrepro.core.errors import GanreproError

FUNCTIONS = {"abs", "log10"}
METHODS = {"max", "min", "mean", "median", "groupby", "transform"}
TRANSFORMS = {"max", "min", "mean"}
_NODES = (
    ast.Expression,
    ast.BoolOp,
    ast.And,
    ast.Or,
    ast.UnaryOp,
    ast.Not,
    ast.USub,
    ast.UAdd,
    ast.BinOp,
    ast.Add,
    ast.Sub,
    ast.Mult,
    ast.Div,
    ast.Pow,
    ast.Compare,
    ast.Eq,
    ast.NotEq,
    ast.Lt,
    ast.LtE,
    ast.Gt,
    ast.GtE,
    ast.In,
    ast.NotIn,
    ast.Name,
    ast.Load,
    ast.Constant,
    ast.List,
    ast.Tuple,
    ast.Call,
    ast.Attribute,
)
FIELDS = ("where", "value", "x", "y")  # the keys of a selection that hold expressions


class ExpressionError(GanreproError):
    pass


def names(expr: str, where: str = "expression") -> set[str]:
    """The column names `expr` reads; ExpressionError when it is not a plain data expression."""
    try:
        tree = ast.parse(str(expr).strip(), mode="eval")
    except SyntaxError as e:
        raise ExpressionError(f"{where}: {expr!r} is not a valid expression ({e.msg})") from e
    out: set[str] = set()
    called: set[int] = set()  # ids of the Name/Attribute nodes that are call targets
    for node in ast.walk(tree):
        if not isinstance(node, _NODES):
            raise ExpressionError(
                f"{where}: {expr!r} uses {type(node).__name__}, which a claim expression may not "
                "(columns, literals, comparisons, and/or/not, arithmetic, abs() and column.max() etc.)"
            )
        if isinstance(node, ast.Call):
            if node.keywords:
                raise ExpressionError(f"{where}: {expr!r}: keyword arguments are not allowed")
            f = node.func
            if isinstance(f, ast.Name):
                if f.id not in FUNCTIONS:
                    raise ExpressionError(
                        f"{where}: {expr!r} calls {f.id}(), not one of {', '.join(sorted(FUNCTIONS))}"
                    )
            elif isinstance(f, ast.Attribute):
                if f.attr not in METHODS:
                    raise ExpressionError(
                        f"{where}: {expr!r} calls .{f.attr}(), not one of {', '.join(sorted(METHODS))}"
                    )
                if f.attr == "transform" and not (
                    len(node.args) == 1 and isinstance(node.args[0], ast.Constant) and node.args[0].value in TRANSFORMS
                ):
                    raise ExpressionError(
                        f"{where}: {expr!r}: transform() takes one of {', '.join(repr(t) for t in sorted(TRANSFORMS))}"
                    )
            else:
                raise ExpressionError(f"{where}: {expr!r}: only abs() and column methods may be called")
            called.add(id(f))
        elif isinstance(node, ast.Attribute) and id(node) not in called:
            raise ExpressionError(
                f"{where}: {expr!r}: attribute .{node.attr} is not allowed (only method calls "
                f"{', '.join(sorted(METHODS))})"
            )
        elif isinstance(node, ast.Constant) and not isinstance(node.value, str | int | float | bool | type(None)):
            raise ExpressionError(f"{where}: {expr!r}: literal {node.value!r} is not allowed")
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and id(node) not in called:
            out.add(node.id)
    return out


def selections(check: dict) -> list[tuple[str, dict]]:
    """(label, selection) pairs of a check: the check itself, or its left and right sides."""
    if check.get("type") == "compare":
        return [("left", check.get("left") or {}), ("right", check.get("right") or {})]
    return [("", check)]


def claim_names(claim: dict) -> dict[str, set[str]]:
    """{'check.left.where': {...}, ...}: the columns each expression of a claim reads (ExpressionError if unsafe)."""
    out: dict[str, set[str]] = {}
    for label, sel in selections(claim.get("check") or {}):
        for f in FIELDS:
            if isinstance(sel.get(f), str):
                key = ".".join(p for p in ("check", label, f) if p)
                out[key] = names(sel[f], f"claim '{claim.get('id')}' {key}")
    return out


def claim_problems(claim: dict, columns: list[str]) -> list[str]:
    """Why a claim cannot be judged on a table with these columns (empty when it can); ExpressionError when an
    expression is not plain data."""
    out = []
    read_by = claim_names(claim)
    for field, used in read_by.items():
        unknown = sorted(used - set(columns))
        if unknown:
            out.append(f"claim '{claim['id']}' {field} names unknown column(s) {', '.join(unknown)}")
    ctrl = claim.get("control") or {}
    if not ctrl and claim["check"]["type"] in ("threshold", "published"):
        out.append(
            f"claim '{claim['id']}' has no control: a {claim['check']['type']} check needs `control:` (swap, set, "
            "reverse) naming data where the claim is false, or `descriptive:` with the reason none exists"
        )
    read = set().union(*read_by.values())
    for key in ("set", "reverse"):
        col = ctrl.get(key, {}).get("column") if key == "set" else ctrl.get(key)
        if col is not None and col not in columns:
            out.append(f"claim '{claim['id']}' control.{key} names unknown column {col}")
        elif col is not None and col not in read and not (key == "reverse" and col == claim["check"].get("x")):
            # a control that cannot change what the check reads could never make it fail
            out.append(f"claim '{claim['id']}' control.{key} changes column {col}, which its check never reads")
    if "swap" in ctrl and len(set(map(str, ctrl["swap"]))) < 2:
        out.append(f"claim '{claim['id']}' control.swap exchanges a value with itself")
    if "swap" in ctrl:
        text = repr(claim["check"])
        if not any(repr(v) in text or f"'{v}'" in text for v in ctrl["swap"]):
            out.append(f"claim '{claim['id']}' control.swap: neither of {ctrl['swap']} appears in its check")
    return out
