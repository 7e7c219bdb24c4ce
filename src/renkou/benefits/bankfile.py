"""Bank files (银行代发文件): the batch written out, the bank's return file read back.

A return file is read by the one import pipeline (:mod:`renkou.core.pipeline`: size limit, encoding
— UTF-8, UTF-16 with its mark, GBK/GB18030 — CSV or XLSX, headers in Chinese or English, row
numbers as a spreadsheet shows them, the header being row 1); :func:`parse_row` is the rule for one
row (each error names the field and the rule). Reconciling it against a batch is
``services.import_return``: all or nothing.

Batch file columns: 序号, 流水号 reference, 户名 holder, 开户行 bank, 账号 account, 金额 amount (yuan).
Return file columns: 流水号 (reference), 金额 (amount), 状态 (成功/失败, paid/failed), 失败原因 (reason),
银行流水号 (bank reference); Chinese or English headers.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from renkou.core import pipeline
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


RETURN_SPEC = pipeline.Spec("bank_return", (
    pipeline.Col("reference", "流水号", required=True),
    pipeline.Col("amount", "金额", required=True),
    pipeline.Col("status", "状态", required=True),
    pipeline.Col("reason", "失败原因"),
    pipeline.Col("bank_reference", "银行流水号"),
))


def parse_row(row: pipeline.Row) -> ReturnRow | None:
    """The row's values, or None with the row's errors set (field and rule named)."""
    ref = row.raw.get("reference", "").strip()
    if not ref:
        row.reject("流水号：不能为空 / reference: must not be empty")
    amount = row.raw.get("amount", "").strip()
    fen = None
    try:
        fen = to_fen(amount)
    except MoneyError:
        row.reject(f"金额：无法识别的金额 {amount!r}（应为元，如 100.00） / amount: not an amount {amount!r} (yuan, e.g. 100.00)")
    status = row.raw.get("status", "").strip().lower()
    if status not in PAID | FAILED:
        row.reject(f"状态：应为 成功 或 失败，而不是 {row.raw.get('status', '')!r} / status: must be paid or failed, "
                   f"not {row.raw.get('status', '')!r}")
    if row.errors:
        return None
    return ReturnRow(row.line, ref, fen, status in PAID, row.raw.get("reason", "").strip(),
                     row.raw.get("bank_reference", "").strip())


def read_return(content: bytes, filename: str) -> Parsed:
    """Every row of a return file read (no payment looked up): for a preview and for tests."""
    out = Parsed()
    with pipeline.spooled(content, filename) as path:
        try:
            source = pipeline.open_source(path)
            table = pipeline.read_table(source)
            mapping = RETURN_SPEC.map_header(table.header, source.name)
        except pipeline.ImportFailed as exc:
            out.errors.append(RowError(0, str(exc)))
            return out
        try:
            for line, cells in table.rows:
                row = mapping.row(line, cells)
                parsed = parse_row(row)
                if parsed is None:
                    out.errors.append(RowError(line, "; ".join(row.errors)))
                else:
                    out.rows.append(parsed)
        finally:
            table.close()
    return out
