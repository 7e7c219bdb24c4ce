"""Bank files (银行代发文件): the batch written out, the bank's return file read back.

Kept in one module with its own small reader so it can move onto a shared import pipeline later.
The reader never raises on a bad row: it returns the good rows and a row-numbered error for each
bad one (row 1 is the header). A file that is neither UTF-8 nor GB18030, or has no usable header,
is one error for the whole file (row 0).

Batch file columns: 序号, 流水号 reference, 户名 holder, 开户行 bank, 账号 account, 金额 amount (yuan).
Return file columns: 流水号 (reference), 金额 (amount), 状态 (成功/失败, paid/failed), 失败原因 (reason),
银行流水号 (bank reference); Chinese or English headers.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from renkou.ledger.money import MoneyError, format_yuan, to_fen
from renkou.registry.exporter import safe_cell

BATCH_HEADER = ["序号", "流水号", "户名", "开户行", "账号", "金额"]
HEADERS = {
    "reference": ("流水号", "reference"),
    "amount": ("金额", "amount"),
    "status": ("状态", "status"),
    "reason": ("失败原因", "reason"),
    "bank_reference": ("银行流水号", "bank_reference"),
}
PAID = {"成功", "已入账", "paid", "success", "ok", "s"}
FAILED = {"失败", "退回", "failed", "failure", "returned", "f"}


@dataclass(frozen=True)
class ReturnRow:
    row: int
    reference: str
    amount_fen: int
    paid: bool
    reason: str
    bank_reference: str


@dataclass(frozen=True)
class RowError:
    row: int
    message: str


@dataclass
class Parsed:
    rows: list[ReturnRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


def content_type(fmt: str) -> str:
    return ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" if fmt == "xlsx"
            else "text/csv; charset=utf-8")


def write_batch(payments, fmt: str) -> bytes:
    rows = [[str(i), p.reference, p.payee_name, p.bank_name, p.account_number, format_yuan(p.amount_fen, False)
             .replace(",", "")] for i, p in enumerate(payments, 1)]
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf)
        w.writerow(BATCH_HEADER)
        for r in rows:
            w.writerow([safe_cell(c) for c in r])
        return buf.getvalue().encode("utf-8-sig")
    if fmt == "xlsx":
        from openpyxl import Workbook

        wb = Workbook()
        ws = wb.active
        ws.title = "代发"
        ws.append(BATCH_HEADER)
        for r in rows:
            ws.append([safe_cell(c) for c in r])
        out = io.BytesIO()
        wb.save(out)
        return out.getvalue()
    raise ValueError(f"unknown format {fmt!r}: csv or xlsx")


def _decode(content: bytes) -> str | None:
    for enc in ("utf-8-sig", "gb18030"):
        try:
            return content.decode(enc)
        except UnicodeDecodeError:
            continue
    return None


def _table(content: bytes, filename: str) -> tuple[list[list[str]] | None, str]:
    if filename.lower().endswith(".xlsx"):
        from openpyxl import load_workbook

        try:
            wb = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        except Exception:  # noqa: BLE001 - any unreadable workbook is one file-level error
            return None, "不是可读的 XLSX 文件 / not a readable XLSX file"
        ws = wb.worksheets[0]
        return [["" if c is None else str(c).strip() for c in r] for r in ws.iter_rows(values_only=True)], ""
    text = _decode(content)
    if text is None:
        return None, "文件编码无法识别（应为 UTF-8 或 GB18030） / unknown encoding (use UTF-8 or GB18030)"
    return [[c.strip() for c in r] for r in csv.reader(io.StringIO(text))], ""


def read_return(content: bytes, filename: str) -> Parsed:
    out = Parsed()
    table, problem = _table(content, filename)
    if table is None:
        out.errors.append(RowError(0, problem))
        return out
    if not table:
        out.errors.append(RowError(0, "空文件 / empty file"))
        return out
    header = [h.strip().lower() for h in table[0]]
    col: dict[str, int] = {}
    for key, names in HEADERS.items():
        for i, h in enumerate(header):
            if h in names:
                col[key] = i
    lacking = [HEADERS[k][0] for k in ("reference", "amount", "status") if k not in col]
    if lacking:
        out.errors.append(RowError(1, f"缺少列 / missing columns: {', '.join(lacking)}"))
        return out
    for n, cells in enumerate(table[1:], start=2):
        if not any(cells):
            continue

        def cell(key: str, cells=cells) -> str:
            i = col.get(key)
            return cells[i].strip() if i is not None and i < len(cells) else ""

        ref = cell("reference")
        if not ref:
            out.errors.append(RowError(n, "流水号为空 / no reference"))
            continue
        try:
            fen = to_fen(cell("amount"))
        except MoneyError:
            out.errors.append(RowError(n, f"金额无法识别 / amount not readable: {cell('amount')!r}"))
            continue
        status = cell("status").lower()
        if status not in PAID | FAILED:
            out.errors.append(RowError(n, f"状态应为 成功/失败 / status must be paid or failed: {cell('status')!r}"))
            continue
        out.rows.append(ReturnRow(n, ref, fen, status in PAID, cell("reason"), cell("bank_reference")))
    return out
