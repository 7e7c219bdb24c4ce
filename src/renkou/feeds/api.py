"""JSON API of department feeds, mounted at /api/feeds/: a machine peer (or a county officer) sends a
department's file; anyone with the area's aggregates reads the completeness figures."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from django.core.exceptions import PermissionDenied
from ninja import File, Router
from ninja.files import UploadedFile

from . import services
from .importer import ImportFailed
from .models import FeedFile

router = Router(tags=["feeds"])


@router.post("/sources/{code}/files", url_name="feed_file", response={200: dict, 422: dict})
def send_file(request, code: str, file: File[UploadedFile], dry_run: bool = False):
    """Send one department file to the source ``code`` of the sender's county. Idempotent: the same
    content twice changes nothing (``repeated``); all-or-nothing: a rejected row writes nothing and
    the answer names each row's reasons."""
    source = services.visible_sources(request.user).filter(code=code).first()
    if source is None:
        raise PermissionDenied("没有这个来源 / no such source in your county")
    fd, name = tempfile.mkstemp(prefix="renkou-api-", suffix=Path(file.name or "").suffix)
    try:
        with os.fdopen(fd, "wb") as out:
            for piece in file.chunks():
                out.write(piece)
        try:
            got = services.receive(user=request.user, source=source, path=name, via=FeedFile.Via.API,
                                   name=file.name or "upload", dry_run=dry_run)
        except ImportFailed as exc:
            return 422, {"ok": False, "error": {"zh": exc.zh, "en": exc.en}}
    finally:
        os.unlink(name)
    if got.repeated:
        return {"ok": True, "repeated": True, "file": got.file.pk}
    res = got.result
    body = {"ok": res.ok, "repeated": False, "file": got.file.pk if got.file else None, "rows": res.total,
            "created": res.created, "received_before": res.unchanged, "rejected": res.rejected,
            "errors": [{"row": r.line, "reasons": r.errors} for r in res.rows if r.errors]}
    return (200 if res.ok else 422), body


@router.get("/completeness", url_name="feed_completeness")
def completeness(request, area: str, period: str):
    """Per source and month: received, linked automatically, linked by decision, queued, missing from the
    register, rejected; the register's events and how many no record of the source confirms."""
    return {"area": area, "period": period, "rows": services.completeness_for(request.user, area, period)}
