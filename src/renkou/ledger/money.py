"""Money in fen (分), exact: amounts are integers of fen everywhere below the pages (no float).

Pure functions, no Django: parse what people type (``100``, ``¥21,700.00``, ``3600.5``) into fen,
and write fen back as yuan the way people read it.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

FEN_PER_YUAN = 100


class MoneyError(ValueError):
    pass


def to_fen(value: object) -> int:
    """Fen of an amount in yuan given as int, Decimal or text; refuses floats and fractions of a fen."""
    if isinstance(value, bool) or isinstance(value, float):
        raise MoneyError(f"金额不能是浮点数 / an amount must not be a float: {value!r}")
    if isinstance(value, int):
        return value * FEN_PER_YUAN
    text = str(value).strip().replace(",", "").replace("，", "").replace("¥", "").replace("￥", "")
    if text.endswith("元"):
        text = text[:-1]
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise MoneyError(f"不是金额 / not an amount: {value!r}") from None
    if not amount.is_finite():
        raise MoneyError(f"不是金额 / not an amount: {value!r}")
    fen = amount * FEN_PER_YUAN
    if fen != fen.to_integral_value():
        raise MoneyError(f"金额最多两位小数 / an amount has at most two decimals (fen): {value!r}")
    return int(fen)


def yuan(fen: int) -> Decimal:
    """The amount as a Decimal of yuan with two places (for JSON and files)."""
    return (Decimal(int(fen)) / FEN_PER_YUAN).quantize(Decimal("0.01"))


def format_yuan(fen: int, symbol: bool = True) -> str:
    """``2170000`` → ``¥21,700.00``."""
    text = f"{yuan(fen):,.2f}"
    return ("¥" + text) if symbol else text


def split_pro_rata(total_fen: int, parts: int, of: int) -> int:
    """``total × parts / of`` rounded half up to the fen (pro rata by months: 3,600 × 4/12 = 1,200)."""
    if of <= 0:
        raise MoneyError("denominator must be positive")
    return int((Decimal(total_fen) * parts / of).quantize(Decimal(1), rounding=ROUND_HALF_UP))
