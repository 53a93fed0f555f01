"""HTML to PDF with xhtml2pdf (pure Python, pinned in requirements/dev.txt), for the reports."""

from __future__ import annotations

import io
import logging

from difusor.errors import DifusorError


def html_to_pdf(html: str, what: str) -> bytes:
    """Lay out `html` as PDF; `what` names the document in errors ("the audit report")."""
    try:
        from xhtml2pdf import pisa  # lazy: heavy, and absent on the servers
    except ImportError as exc:
        raise DifusorError(
            "PDF output needs xhtml2pdf: pip install -r requirements/dev.txt"
        ) from exc
    for name in ("xhtml2pdf", "xhtml2pdf.default", "xhtml2pdf.document", "xhtml2pdf.tags"):
        logging.getLogger(name).setLevel(logging.ERROR)  # its warnings are about CSS it skips
    out = io.BytesIO()
    status = pisa.CreatePDF(html, dest=out, encoding="utf-8")
    if status.err:
        raise DifusorError(f"xhtml2pdf could not render {what} ({status.err} errors)")
    return out.getvalue()
