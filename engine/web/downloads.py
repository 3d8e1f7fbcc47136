"""Serving a stored attachment as a download, safely.

- The Content-Type comes from the recorded name's extension, and only from a
  short list of document and image types whose first bytes we can check: a
  ``.pdf`` that does not start with ``%PDF-`` is served as
  ``application/octet-stream``, and so is every type not on the list. The type
  the uploader's browser declared is never echoed (it could say ``text/html``).
- ``Content-Disposition: attachment`` with an ASCII ``filename`` for old
  clients and the real (Thai) name in ``filename*=UTF-8''…`` (RFC 6266, RFC 8187).
- ``X-Content-Type-Options: nosniff`` and a sandboxing CSP, in case a browser
  renders it anyway; ``private, no-store`` because who may read it can change.
"""

from __future__ import annotations

import base64
import hashlib
import re
import unicodedata
from urllib.parse import quote

from fastapi.responses import Response

from engine.attachments import StoredFile

OCTET = "application/octet-stream"
_ZIP = (b"PK\x03\x04",)
_OLE = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",)  # old Word/Excel

# extension -> (media type, accepted leading bytes; None = UTF-8 text)
TYPES: dict[str, tuple[str, tuple[bytes, ...] | None]] = {
    "pdf": ("application/pdf", (b"%PDF-",)),
    "png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    "jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "gif": ("image/gif", (b"GIF87a", b"GIF89a")),
    "webp": ("image/webp", (b"RIFF",)),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", _ZIP),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", _ZIP),
    "pptx": ("application/vnd.openxmlformats-officedocument.presentationml.presentation", _ZIP),
    "odt": ("application/vnd.oasis.opendocument.text", _ZIP),
    "ods": ("application/vnd.oasis.opendocument.spreadsheet", _ZIP),
    "zip": ("application/zip", _ZIP),
    "doc": ("application/msword", _OLE),
    "xls": ("application/vnd.ms-excel", _OLE),
    "txt": ("text/plain; charset=utf-8", None),
    "csv": ("text/csv; charset=utf-8", None),
}


def media_type_for(name: str, content: bytes) -> str:
    """The type to serve: the extension's, if the bytes look like it; else octet-stream."""
    ext = name.rpartition(".")[2].lower() if "." in name else ""
    known = TYPES.get(ext)
    if known is None:
        return OCTET
    media, magic = known
    if magic is None:
        try:
            content.decode("utf-8")
        except UnicodeDecodeError:
            return OCTET
        return media
    if not content.startswith(magic):
        return OCTET
    if ext == "webp" and content[8:12] != b"WEBP":
        return OCTET
    return media


_UNSAFE_ASCII = re.compile(r'[^A-Za-z0-9._()+ -]+')


def ascii_fallback(name: str, sha256: str) -> str:
    """A plain-ASCII stand-in for ``filename=``: accents dropped, anything else
    (Thai, quotes, separators) replaced; the extension kept."""
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    plain = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode("ascii")
    plain = _UNSAFE_ASCII.sub("_", plain).strip(" ._")
    plain = re.sub(r"_+", "_", plain)
    if not re.search(r"[A-Za-z0-9]", plain):
        plain = f"attachment-{sha256[:12]}"
    ext = _UNSAFE_ASCII.sub("", unicodedata.normalize("NFKD", ext).encode("ascii", "ignore").decode("ascii"))
    return f"{plain[:100]}.{ext[:10]}" if ext else plain[:100]


def content_disposition(name: str, sha256: str) -> str:
    """``attachment; filename="ascii"; filename*=UTF-8''percent-encoded`` (RFC 6266 §4.3)."""
    return (f'attachment; filename="{ascii_fallback(name, sha256)}"; '
            f"filename*=UTF-8''{quote(name, safe='')}")


def download(found: StoredFile) -> Response:
    digest = base64.b64encode(hashlib.sha256(found.content).digest()).decode("ascii")
    return Response(found.content, media_type=media_type_for(found.name, found.content), headers={
        "Content-Disposition": content_disposition(found.name, found.sha256),
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'; sandbox",
        "Cache-Control": "private, no-store",
        "ETag": f'"{found.sha256}"',
        "Repr-Digest": f"sha-256=:{digest}:",
    })
