"""The commands of docs/exchange.md, run as shown on an empty node, and the directory file's
all-or-nothing import."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from renkou.exchange import signing


def test_docs_commands(tmp_path):
    env = dict(os.environ, RENKOU_HOME=str(tmp_path / "var"), PYTHONPATH=os.pathsep.join(sys.path))
    env.pop("RENKOU_DATABASE_URL", None)

    def renkou(*args, ok=True):
        out = subprocess.run([sys.executable, "-m", "renkou", *args], env=env, cwd=tmp_path, capture_output=True,
                             text=True, timeout=120)
        assert (out.returncode == 0) == ok, out.stdout + out.stderr
        return out

    renkou("migrate", "--no-input")
    assert renkou("exchange", "init", "--code", "renqiu", "--name", "任丘市", "--prefix", "130982").stdout.startswith("renqiu ")
    ident = json.loads(renkou("exchange", "identity").stdout)
    assert (ident["code"], ident["prefixes"]) == ("renqiu", ["130982"])
    assert oct((tmp_path / "var" / "exchange" / "renqiu.key").stat().st_mode & 0o777) == "0o600"
    peer_key = signing.public_text(signing.new_private_key())
    (tmp_path / "peers.yaml").write_text(
        f'- code: xianxian\n  name: 献县\n  url: http://127.0.0.1:9\n  public_key: "{peer_key}"\n'
        '  token: "rk_x"\n  prefixes: ["130929"]\n', encoding="utf-8")
    assert renkou("exchange", "directory", "peers.yaml").stdout.strip() == "1 peers"
    payload = {"id_number": "13092919900101002X", "name": "李芳", "sex": 2, "birth_date": "1990-01-01",
               "asks": ["registered"], "reason": "在任丘市务工"}
    assert "→ xianxian" in renkou("exchange", "send", "enquiry", "--area", "130929100000", "--urgent",
                                  "--payload", json.dumps(payload, ensure_ascii=False)).stdout
    assert json.loads(renkou("exchange", "deliver").stdout) == {"delivered": 0, "failed": 1}
    status = json.loads(renkou("exchange", "status", "--format", "json").stdout)
    assert status["counts"]["out_pending"] == 1 and status["last_errors"][0]["recipient"] == "xianxian"
    assert json.loads(renkou("exchange", "export-batch", "outbox.zip").stdout)["count"] == 1
    # a node's own batch is not a peer's: refused, naming why
    bad = renkou("exchange", "import-batch", "outbox.zip", ok=False)
    assert "sender 'renqiu' is not a peer of the directory" in bad.stderr
    bad = renkou("exchange", "send", "enquiry", "--area", "520122", "--payload", json.dumps(payload), ok=False)
    assert "no peer node of the directory serves area 520122" in bad.stderr


def test_directory_all_or_nothing(node, tmp_path):
    from renkou.exchange import services
    from renkou.exchange.models import Peer

    good = signing.public_text(signing.new_private_key())
    path = tmp_path / "d.csv"
    path.write_text("code,name,url,public_key,token,prefix\n"
                    f"cang,沧县,http://127.0.0.1:3,{good},t,130921\n"
                    f"cang,沧县,http://127.0.0.1:3,{good},t,130922\n"
                    "bad,坏,http://127.0.0.1:4,notakey,t,130923\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"peer 2 \(bad\): field 'public_key'"):
        services.import_directory(path)
    assert not Peer.objects.filter(code="cang").exists()
    path.write_text("\n".join(path.read_text().splitlines()[:3]) + "\n", encoding="utf-8")
    assert services.import_directory(path) == 1
    assert sorted(Peer.objects.get(code="cang").prefixes.values_list("prefix", flat=True)) == ["130921", "130922"]
    assert services.route_for("130922100000").code == "cang"
