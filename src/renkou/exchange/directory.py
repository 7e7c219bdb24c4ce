"""Reading a peer directory file: YAML (a list of peers, each with its prefixes) or CSV (one row
per prefix: code, name, url, public_key, token, prefix). Every error names the entry and field."""

from __future__ import annotations

import csv
from pathlib import Path

import yaml

from . import signing

FIELDS = ("code", "name", "url", "public_key")


def read_directory(path: Path) -> list[dict]:
    if path.suffix.lower() == ".csv":
        peers: dict[str, dict] = {}
        with path.open(encoding="utf-8-sig", newline="") as fh:
            for line, row in enumerate(csv.DictReader(fh), start=2):
                for f in (*FIELDS, "prefix"):
                    if not (row.get(f) or "").strip():
                        raise ValueError(f"{path.name} 第 {line} 行：缺少字段 {f} / {path.name} row {line}: field {f!r} is required")
                e = peers.setdefault(row["code"].strip(), {f: row[f].strip() for f in FIELDS}
                                     | {"token": (row.get("token") or "").strip(), "prefixes": []})
                e["prefixes"].append(row["prefix"].strip())
        entries = list(peers.values())
    else:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or []
        if isinstance(data, dict):
            data = data.get("peers", [])
        if not isinstance(data, list):
            raise ValueError(f"{path.name}：应为节点列表 / {path.name}: a list of peers is expected")
        entries = []
        for i, e in enumerate(data, start=1):
            for f in (*FIELDS, "prefixes"):
                if not e.get(f):
                    raise ValueError(f"{path.name} 第 {i} 个节点：缺少字段 {f} / {path.name} peer {i}: field {f!r} is required")
            entries.append({**{f: str(e[f]) for f in FIELDS}, "token": str(e.get("token") or ""),
                            "prefixes": [str(p) for p in e["prefixes"]]})
    for i, e in enumerate(entries, start=1):
        try:
            signing.public_from_text(e["public_key"])
        except ValueError as exc:
            raise ValueError(f"{path.name} 第 {i} 个节点（{e['code']}）：字段 public_key 不是有效的公钥 / "
                             f"{path.name} peer {i} ({e['code']}): field 'public_key': {exc}") from None
        for p in e["prefixes"]:
            if not (p.isdigit() and 2 <= len(p) <= 12):
                raise ValueError(f"{path.name} 第 {i} 个节点（{e['code']}）：字段 prefixes 中的 {p} 不是 2 至 12 位的"
                                 f"区划代码前缀 / {path.name} peer {i} ({e['code']}): field 'prefixes': {p!r} "
                                 "is not an area-code prefix of 2 to 12 digits")
    return entries
