"""Indicator expressions (指标表达式): a small, safe formula language.

Indicators are numerator ÷ denominator × factor, as in DHIS2; numerator and
denominator are written in this language and parsed by a hand-written
tokenizer and Pratt parser — user text is never given to ``eval`` or ``ast``.

Grammar (``×``, ``÷`` and the minus sign ``−`` are accepted for ``*``, ``/``, ``-``)::

    expr       := additive [ ("<" | "<=" | ">" | ">=" | "==" | "!=") additive ]
    additive   := term { ("+" | "-") term }
    term       := unary { ("*" | "/") unary }
    unary      := "-" unary | atom
    atom       := NUMBER | operand | NAME "(" expr { "," expr } ")" | "(" expr ")"
    operand    := "#{" code ["." disaggregation] "}"     aggregate data element (数据元)
                | "R{" code ["." key "=" value { "," key "=" value }] "}"
                                                          register-derived value (个案库派生值)
                | "C{" code "}"                           constant (常量)
                | "I{" code "}"                           another indicator (指标)
                | "S{" code "}"                           another item of an assessment
                                                          scheme (only where allowed)
                | "M{" provider "." operand "}"           a figure kept by another module
                                                          (模块来源, see indicators/providers.py)
    functions  := min(a, b, …) | max(a, b, …) | abs(a) | if(cond, a, b) | coalesce(a, b, …)

A comparison yields 1 (true) or 0 (false); comparisons do not chain.

Missing values (缺失值), :func:`evaluate`:

* ``missing="strict"`` (default): a reference the resolver cannot give (``None``)
  makes every operation that uses it ``None``, up to the result. ``if`` evaluates
  only the branch chosen (a missing value in the other branch does not matter);
  a missing condition gives ``None``. ``coalesce`` returns its first argument
  that is not ``None``.
* ``missing="zero"``: a missing reference counts as 0 — the right choice for sums
  of counts where "no report" means "none" — unless *every* reference of the
  expression is missing, when the result is ``None``.
* Division by zero gives ``None`` in both modes, never an exception.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Literal

import numpy as np

# ---------------------------------------------------------------------------------------
# References and errors
# ---------------------------------------------------------------------------------------

REFERENCE_KINDS: dict[str, str] = {
    "#": "element",
    "R": "register",
    "C": "constant",
    "I": "indicator",
    "S": "item",
    "M": "module",
}
_KIND_PREFIX = {v: k for k, v in REFERENCE_KINDS.items()}
DEFAULT_KINDS: frozenset[str] = frozenset({"element", "register", "constant", "indicator", "module"})

_CODE = r"[A-Za-z_][A-Za-z0-9_]*|[0-9][A-Za-z0-9_]*"
_CODE_RE = re.compile(rf"^(?:{_CODE})$")
_PARAM_VALUE_RE = re.compile(r"^[A-Za-z0-9_]+(?:-[A-Za-z0-9_]+)?$")


class ExpressionError(ValueError):
    """A syntax or reference error at character ``position`` (0-based) of ``text``."""

    def __init__(self, text: str, position: int, message_zh: str, message_en: str) -> None:
        self.text = text
        self.position = position
        self.message_zh = message_zh
        self.message_en = message_en
        super().__init__(
            f"表达式第 {position + 1} 个字符处：{message_zh} / at character {position + 1}: {message_en}"
        )


@dataclass(frozen=True, order=True)
class Reference:
    """One operand of an expression: ``kind`` ∈ element, register, constant, indicator, item, module.

    ``disaggregation`` only for elements (``#{births.female}``); ``params`` only for
    register values, sorted by key (``R{population.age=15-49,sex=2}``).
    """

    kind: str
    code: str
    disaggregation: str | None = None
    params: tuple[tuple[str, str], ...] = ()

    def __str__(self) -> str:
        inner = self.code
        if self.disaggregation is not None:
            inner += "." + self.disaggregation
        if self.params:
            inner += "." + ",".join(f"{k}={v}" for k, v in self.params)
        return f"{_KIND_PREFIX[self.kind]}{{{inner}}}"


# ---------------------------------------------------------------------------------------
# Expression tree
# ---------------------------------------------------------------------------------------

_PREC_COMPARE, _PREC_ADD, _PREC_MUL, _PREC_UNARY, _PREC_ATOM = 1, 2, 3, 4, 5
ARITHMETIC_OPS = ("+", "-", "*", "/")
COMPARISON_OPS = ("<", "<=", ">", ">=", "==", "!=")
FUNCTIONS: dict[str, tuple[int, int | None]] = {
    "min": (1, None),
    "max": (1, None),
    "abs": (1, 1),
    "if": (3, 3),
    "coalesce": (1, None),
}
"""Function name → (minimum, maximum or None) number of arguments."""


class Expr:
    """Base of the expression tree; nodes are frozen dataclasses, equal when equal trees."""

    precedence: int = _PREC_ATOM

    def references(self) -> set[Reference]:
        """Every operand the expression reads (for dependencies and cycle detection)."""
        found: set[Reference] = set()
        self._collect(found)
        return found

    def _collect(self, found: set[Reference]) -> None:
        for child in self.children():
            child._collect(found)

    def children(self) -> tuple[Expr, ...]:
        return ()

    def __str__(self) -> str:  # canonical text; parse(str(e)) == e
        raise NotImplementedError


@dataclass(frozen=True)
class Number(Expr):
    value: float

    def __str__(self) -> str:
        return repr(float(self.value))


@dataclass(frozen=True)
class Ref(Expr):
    ref: Reference

    def _collect(self, found: set[Reference]) -> None:
        found.add(self.ref)

    def __str__(self) -> str:
        return str(self.ref)


@dataclass(frozen=True)
class Neg(Expr):
    operand: Expr
    precedence = _PREC_UNARY

    def children(self) -> tuple[Expr, ...]:
        return (self.operand,)

    def __str__(self) -> str:
        return "-" + _wrap(self.operand, self.operand.precedence < _PREC_UNARY)


@dataclass(frozen=True)
class BinOp(Expr):
    op: str
    left: Expr
    right: Expr

    @property
    def precedence(self) -> int:  # type: ignore[override]
        if self.op in COMPARISON_OPS:
            return _PREC_COMPARE
        return _PREC_ADD if self.op in "+-" else _PREC_MUL

    def children(self) -> tuple[Expr, ...]:
        return (self.left, self.right)

    def __str__(self) -> str:
        p = self.precedence
        if p == _PREC_COMPARE:  # non-associative: parenthesise comparisons on either side
            left = _wrap(self.left, self.left.precedence <= p)
        else:  # left-associative
            left = _wrap(self.left, self.left.precedence < p)
        right = _wrap(self.right, self.right.precedence <= p)
        return f"{left} {self.op} {right}"


@dataclass(frozen=True)
class Call(Expr):
    name: str
    args: tuple[Expr, ...]

    def children(self) -> tuple[Expr, ...]:
        return self.args

    def __str__(self) -> str:
        return f"{self.name}({', '.join(str(a) for a in self.args)})"


def _wrap(e: Expr, parens: bool) -> str:
    return f"({e})" if parens else str(e)


# ---------------------------------------------------------------------------------------
# Tokenizer
# ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Token:
    kind: str  # number, ref, name, op, lparen, rparen, comma, end
    text: str
    pos: int
    value: object = None


_NUMBER_RE = re.compile(r"(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_SYNONYMS = {"×": "*", "÷": "/", "−": "-", "（": "(", "）": ")", "，": ","}


def _tokenize(text: str, allowed: frozenset[str]) -> list[_Token]:
    tokens: list[_Token] = []
    i, n = 0, len(text)
    while i < n:
        ch = _SYNONYMS.get(text[i], text[i])
        if ch.isspace():
            i += 1
            continue
        if ch in REFERENCE_KINDS and i + 1 < n and text[i + 1] == "{":
            close = text.find("}", i + 2)
            if close < 0:
                raise ExpressionError(text, i, f"“{ch}{{” 缺少右花括号 “}}”", f"'{ch}{{' has no closing '}}'")
            ref = _parse_reference(text, i, ch, text[i + 2 : close], allowed)
            tokens.append(_Token("ref", text[i : close + 1], i, ref))
            i = close + 1
            continue
        m = _NUMBER_RE.match(text, i)
        if m and (ch.isdigit() or ch == "."):
            tokens.append(_Token("number", m.group(), i, float(m.group())))
            i = m.end()
            continue
        m = _NAME_RE.match(text, i)
        if m:
            tokens.append(_Token("name", m.group(), i))
            i = m.end()
            continue
        two = "".join(_SYNONYMS.get(c, c) for c in text[i : i + 2])
        if two in ("<=", ">=", "==", "!="):
            tokens.append(_Token("op", two, i))
            i += 2
            continue
        if ch in "+-*/<>":
            tokens.append(_Token("op", ch, i))
        elif ch == "(":
            tokens.append(_Token("lparen", ch, i))
        elif ch == ")":
            tokens.append(_Token("rparen", ch, i))
        elif ch == ",":
            tokens.append(_Token("comma", ch, i))
        else:
            raise ExpressionError(text, i, f"无法识别的字符 “{text[i]}”", f"unexpected character {text[i]!r}")
        i += 1
    tokens.append(_Token("end", "", n))
    return tokens


def _parse_reference(text: str, pos: int, prefix: str, inner: str, allowed: frozenset[str]) -> Reference:
    kind = REFERENCE_KINDS[prefix]
    if kind not in allowed:
        raise ExpressionError(
            text, pos, f"此处不允许引用 {prefix}{{…}}（{kind}）", f"references {prefix}{{…}} ({kind}) are not allowed here"
        )
    inner = inner.strip()
    code, dot, rest = inner.partition(".")
    code = code.strip()
    if not _CODE_RE.match(code):
        raise ExpressionError(
            text, pos + 2, f"引用代码 “{code}” 无效（只能用字母、数字和下划线）",
            f"invalid reference code {code!r} (letters, digits and underscores only)",
        )
    if kind == "module":
        operand = rest.strip()
        if not dot or not _CODE_RE.match(operand):
            raise ExpressionError(
                text, pos + 2, "模块来源应写作 M{模块.指标项}（如 M{benefits.paid_units}）",
                "a module operand is written M{module.operand} (e.g. M{benefits.paid_units})",
            )
        return Reference(kind, f"{code}.{operand}")
    if not dot:
        return Reference(kind, code)
    if kind == "element":
        dis = rest.strip()
        if not _CODE_RE.match(dis):
            raise ExpressionError(text, pos + 2, f"分类代码 “{dis}” 无效", f"invalid disaggregation {dis!r}")
        return Reference(kind, code, disaggregation=dis)
    if kind == "register":
        params: dict[str, str] = {}
        for part in rest.split(","):
            key, eq, value = (s.strip() for s in part.partition("="))
            if not eq or not _CODE_RE.match(key) or not _PARAM_VALUE_RE.match(value):
                raise ExpressionError(
                    text, pos + 2, f"参数 “{part.strip()}” 应为 键=值（如 sex=2、age=15-49）",
                    f"parameter {part.strip()!r} must be key=value (e.g. sex=2, age=15-49)",
                )
            if key in params:
                raise ExpressionError(text, pos + 2, f"参数 “{key}” 重复", f"parameter {key!r} repeated")
            params[key] = value
        return Reference(kind, code, params=tuple(sorted(params.items())))
    raise ExpressionError(
        text, pos + 2, f"{prefix}{{…}} 引用不能带 “.” 后缀", f"{prefix}{{…}} references take no '.' suffix"
    )


# ---------------------------------------------------------------------------------------
# Parser (Pratt / precedence climbing)
# ---------------------------------------------------------------------------------------

class _Parser:
    def __init__(self, text: str, allowed: frozenset[str]) -> None:
        self.text = text
        self.tokens = _tokenize(text, allowed)
        self.i = 0

    def peek(self) -> _Token:
        return self.tokens[self.i]

    def take(self) -> _Token:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def error(self, tok: _Token, zh: str, en: str) -> ExpressionError:
        return ExpressionError(self.text, tok.pos, zh, en)

    def expect(self, kind: str, zh: str, en: str) -> _Token:
        tok = self.peek()
        if tok.kind != kind:
            found_zh = "表达式结尾" if tok.kind == "end" else f"“{tok.text}”"
            found_en = "end of expression" if tok.kind == "end" else repr(tok.text)
            raise self.error(tok, f"{zh}，却遇到{found_zh}", f"{en}, found {found_en}")
        return self.take()

    def parse(self) -> Expr:
        if self.peek().kind == "end":
            raise self.error(self.peek(), "表达式为空", "empty expression")
        expr = self.expression()
        tok = self.peek()
        if tok.kind != "end":
            raise self.error(tok, f"多余的 “{tok.text}”", f"unexpected {tok.text!r}")
        return expr

    def expression(self) -> Expr:
        left = self.binary(_PREC_ADD)
        tok = self.peek()
        if tok.kind == "op" and tok.text in COMPARISON_OPS:
            self.take()
            right = self.binary(_PREC_ADD)
            nxt = self.peek()
            if nxt.kind == "op" and nxt.text in COMPARISON_OPS:
                raise self.error(nxt, "比较运算不能连写（请加括号）", "comparisons do not chain (add parentheses)")
            return BinOp(tok.text, left, right)
        return left

    def binary(self, min_prec: int) -> Expr:
        left = self.unary()
        while True:
            tok = self.peek()
            if tok.kind != "op" or tok.text not in ARITHMETIC_OPS:
                return left
            prec = _PREC_ADD if tok.text in "+-" else _PREC_MUL
            if prec < min_prec:
                return left
            self.take()
            right = self.binary(prec + 1)
            left = BinOp(tok.text, left, right)

    def unary(self) -> Expr:
        tok = self.peek()
        if tok.kind == "op" and tok.text == "-":
            self.take()
            return Neg(self.unary())
        return self.atom()

    def atom(self) -> Expr:
        tok = self.take()
        if tok.kind == "number":
            return Number(float(tok.value))  # type: ignore[arg-type]
        if tok.kind == "ref":
            return Ref(tok.value)  # type: ignore[arg-type]
        if tok.kind == "lparen":
            inner = self.expression()
            self.expect("rparen", "缺少右括号 “)”", "expected ')'")
            return inner
        if tok.kind == "name":
            return self.call(tok)
        if tok.kind == "end":
            raise self.error(tok, "表达式不完整：缺少运算对象", "incomplete expression: operand expected")
        raise self.error(tok, f"此处应为数字、引用或括号，却遇到 “{tok.text}”",
                         f"expected a number, reference or '(', found {tok.text!r}")

    def call(self, name_tok: _Token) -> Expr:
        name = name_tok.text.lower()
        if name not in FUNCTIONS:
            raise self.error(
                name_tok, f"未知函数 “{name_tok.text}”（可用：{', '.join(FUNCTIONS)}）",
                f"unknown function {name_tok.text!r} (known: {', '.join(FUNCTIONS)})",
            )
        self.expect("lparen", f"函数 {name} 后应为 “(”", f"expected '(' after {name}")
        args = [self.expression()]
        while self.peek().kind == "comma":
            self.take()
            args.append(self.expression())
        self.expect("rparen", "缺少右括号 “)”", "expected ')'")
        lo, hi = FUNCTIONS[name]
        if len(args) < lo or (hi is not None and len(args) > hi):
            want = str(lo) if lo == hi else f"≥{lo}"
            raise self.error(name_tok, f"函数 {name} 需要 {want} 个参数，实际 {len(args)} 个",
                             f"function {name} takes {want} argument(s), got {len(args)}")
        return Call(name, tuple(args))


def parse(text: str, *, allowed: Iterable[str] = DEFAULT_KINDS) -> Expr:
    """Parse ``text`` into an expression tree.

    ``allowed`` is the set of reference kinds permitted (default: element,
    register, constant, indicator; assessment schemes add ``item``). Raises
    :class:`ExpressionError` naming the character position.
    """
    if not isinstance(text, str):
        raise ExpressionError(str(text), 0, "表达式必须是文本", "the expression must be text")
    return _Parser(text, frozenset(allowed)).parse()


# ---------------------------------------------------------------------------------------
# Evaluation
# ---------------------------------------------------------------------------------------

Resolver = Callable[[Reference], "float | int | Decimal | None"]
MissingPolicy = Literal["strict", "zero"]


def evaluate(expr: Expr | str, resolver: Resolver | Mapping[Reference, float | None], *,
             missing: MissingPolicy = "strict") -> float | None:
    """Value of ``expr`` with operands from ``resolver`` (a function or a mapping).

    See the module docstring for the missing-value rules; division by zero and
    non-finite results give ``None``.
    """
    if isinstance(expr, str):
        expr = parse(expr, allowed=REFERENCE_KINDS.values())
    lookup: Callable[[Reference], object]
    lookup = resolver.get if isinstance(resolver, Mapping) else resolver
    cache: dict[Reference, float | None] = {}

    def resolve(ref: Reference) -> float | None:
        if ref not in cache:
            raw = lookup(ref)
            cache[ref] = None if raw is None else float(raw)  # type: ignore[arg-type]
        return cache[ref]

    if missing == "zero":
        refs = expr.references()
        if refs and all(resolve(r) is None for r in refs):
            return None

        def resolve_zero(ref: Reference) -> float | None:
            value = resolve(ref)
            return 0.0 if value is None else value

        result = _eval(expr, resolve_zero)
    elif missing == "strict":
        result = _eval(expr, resolve)
    else:
        raise ValueError(f"未知的缺失值策略 {missing!r} / unknown missing-value policy {missing!r}")
    if result is None or not math.isfinite(result):
        return None
    return result


def _eval(e: Expr, resolve: Callable[[Reference], float | None]) -> float | None:
    if isinstance(e, Number):
        return e.value
    if isinstance(e, Ref):
        return resolve(e.ref)
    if isinstance(e, Neg):
        v = _eval(e.operand, resolve)
        return None if v is None else -v
    if isinstance(e, BinOp):
        a = _eval(e.left, resolve)
        if a is None:
            return None
        b = _eval(e.right, resolve)
        if b is None:
            return None
        return _apply(e.op, a, b)
    if isinstance(e, Call):
        return _call(e, resolve)
    raise TypeError(f"not an expression node: {e!r}")


def evaluate_many(expr: Expr, resolve: Callable[[Reference], np.ndarray], size: int) -> np.ndarray:
    """:func:`evaluate` (strict missing values) for ``size`` operand sets at once.

    ``resolve`` gives a float array per reference, NaN standing for a missing value; the result is
    NaN where :func:`evaluate` gives ``None``. Element by element the arithmetic is the same IEEE
    arithmetic as the scalar version, so the values are identical.
    """
    with np.errstate(all="ignore"):
        out = np.asarray(_eval_many(expr, resolve, size), dtype=float)
        out = np.broadcast_to(out, (size,)).copy()
        out[~np.isfinite(out)] = np.nan
    return out


def _eval_many(e: Expr, resolve: Callable[[Reference], np.ndarray], size: int) -> np.ndarray:
    if isinstance(e, Number):
        return np.full(size, e.value, dtype=float)
    if isinstance(e, Ref):
        return np.asarray(resolve(e.ref), dtype=float)
    if isinstance(e, Neg):
        return -_eval_many(e.operand, resolve, size)
    if isinstance(e, BinOp):
        a = _eval_many(e.left, resolve, size)
        b = _eval_many(e.right, resolve, size)
        if e.op == "+":
            return a + b
        if e.op == "-":
            return a - b
        if e.op == "*":
            return a * b
        if e.op == "/":
            return np.where(b == 0, np.nan, a / np.where(b == 0, 1.0, b))
        compare = {"<": np.less, "<=": np.less_equal, ">": np.greater, ">=": np.greater_equal,
                   "==": np.equal, "!=": np.not_equal}[e.op]
        return np.where(np.isnan(a) | np.isnan(b), np.nan, compare(a, b).astype(float))
    if isinstance(e, Call):
        args = [_eval_many(a, resolve, size) for a in e.args]
        if e.name == "if":
            cond, yes, no = args
            return np.where(np.isnan(cond), np.nan, np.where(cond != 0, yes, no))
        if e.name == "coalesce":
            out = args[0].copy()
            for arg in args[1:]:
                out = np.where(np.isnan(out), arg, out)
            return out
        missing = np.any([np.isnan(a) for a in args], axis=0)
        if e.name == "min":
            value = np.minimum.reduce(args)
        elif e.name == "max":
            value = np.maximum.reduce(args)
        else:
            value = np.abs(args[0])
        return np.where(missing, np.nan, value)
    raise TypeError(f"not an expression node: {e!r}")


def _apply(op: str, a: float, b: float) -> float | None:
    if op == "+":
        return a + b
    if op == "-":
        return a - b
    if op == "*":
        return a * b
    if op == "/":
        return None if b == 0 else a / b
    return 1.0 if {
        "<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b, "==": a == b, "!=": a != b,
    }[op] else 0.0


def _call(e: Call, resolve: Callable[[Reference], float | None]) -> float | None:
    if e.name == "if":
        cond = _eval(e.args[0], resolve)
        if cond is None:
            return None
        return _eval(e.args[1] if cond != 0 else e.args[2], resolve)
    if e.name == "coalesce":
        for arg in e.args:
            v = _eval(arg, resolve)
            if v is not None:
                return v
        return None
    values = [_eval(a, resolve) for a in e.args]
    if any(v is None for v in values):
        return None
    if e.name == "min":
        return min(values)  # type: ignore[type-var]
    if e.name == "max":
        return max(values)  # type: ignore[type-var]
    return abs(values[0])  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------
# Dependencies between indicators
# ---------------------------------------------------------------------------------------

def detect_cycles(defs: Mapping[str, tuple[Expr | str, Expr | str]], *, kind: str = "indicator") -> list[list[str]]:
    """Circular references among definitions (循环引用).

    ``defs`` maps a code to its (numerator, denominator) expressions; an edge
    A → B exists when A's expressions reference ``kind`` B (``I{B}``). Returns
    one cycle per strongly connected component that has one, each as the list
    of codes along the cycle starting from its smallest code (``["A", "B"]``
    means A → B → A; a self-reference gives ``["A"]``), sorted. References to
    codes not in ``defs`` are not cycles.
    """
    graph: dict[str, list[str]] = {}
    for code, exprs in defs.items():
        targets: set[str] = set()
        for ex in exprs:
            if ex is None:
                continue
            tree = parse(ex, allowed=REFERENCE_KINDS.values()) if isinstance(ex, str) else ex
            targets |= {r.code for r in tree.references() if r.kind == kind and r.code in defs}
        graph[code] = sorted(targets)
    cycles = []
    for component in _strongly_connected(graph):
        if len(component) == 1 and component[0] not in graph[component[0]]:
            continue
        cycles.append(_cycle_through(min(component), set(component), graph))
    return sorted(cycles)


def _strongly_connected(graph: Mapping[str, list[str]]) -> list[list[str]]:
    """Tarjan's algorithm, iterative (no recursion limit on long chains)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    result: list[list[str]] = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, 0)]
        while work:
            node, child_i = work.pop()
            if child_i == 0:
                index[node] = low[node] = counter
                counter += 1
                stack.append(node)
                on_stack.add(node)
            children = graph[node]
            if child_i < len(children):
                work.append((node, child_i + 1))
                child = children[child_i]
                if child not in index:
                    work.append((child, 0))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            if low[node] == index[node]:
                component = []
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    component.append(w)
                    if w == node:
                        break
                result.append(sorted(component))
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    return result


def _cycle_through(start: str, members: set[str], graph: Mapping[str, list[str]]) -> list[str]:
    """A shortest cycle from ``start`` back to itself inside one component (breadth first)."""
    previous: dict[str, str] = {}
    frontier = [start]
    seen = {start}
    while frontier:
        nxt = []
        for node in frontier:
            for child in graph[node]:
                if child == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(previous[path[-1]])
                    return list(reversed(path))
                if child in members and child not in seen:
                    seen.add(child)
                    previous[child] = node
                    nxt.append(child)
        frontier = nxt
    return [start]  # unreachable for a true component


# ---------------------------------------------------------------------------------------
# Indicator value
# ---------------------------------------------------------------------------------------

INDICATOR_FACTORS: dict[str, Decimal] = {
    "per_thousand": Decimal(1000),   # ‰, e.g. 出生率 crude birth rate
    "percent": Decimal(100),         # %, e.g. 住院分娩率 hospital delivery rate
    "per_hundred": Decimal(100),     # e.g. 出生人口性别比 sex ratio at birth (boys per 100 girls)
    "ratio": Decimal(1),
    "per_100000": Decimal(100000),   # e.g. maternal mortality ratio
}


def indicator_value(numerator: float | Decimal | None, denominator: float | Decimal | None,
                    indicator_type: str, decimals: int = 2) -> Decimal | None:
    """Indicator value = numerator ÷ denominator × factor, rounded half-up to ``decimals``.

    The factor comes from the indicator type (:data:`INDICATOR_FACTORS`). The
    arithmetic is done in ``Decimal`` from the shortest decimal form of each
    input, so 46 ÷ 5000 × 1000 is exactly 9.2. A missing numerator or
    denominator, or a zero denominator, gives ``None``.
    """
    if indicator_type not in INDICATOR_FACTORS:
        raise ValueError(
            f"未知的指标类型 {indicator_type!r}（应为 {', '.join(INDICATOR_FACTORS)}） / "
            f"unknown indicator type {indicator_type!r}"
        )
    if numerator is None or denominator is None:
        return None
    try:
        num, den = _to_decimal(numerator), _to_decimal(denominator)
    except (InvalidOperation, ValueError):
        return None
    if den == 0 or not num.is_finite() or not den.is_finite():
        return None
    value = num / den * INDICATOR_FACTORS[indicator_type]
    return value.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)


def _to_decimal(x: float | int | Decimal) -> Decimal:
    return x if isinstance(x, Decimal) else Decimal(repr(x) if isinstance(x, float) else str(x))
