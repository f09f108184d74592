"""A cap on request bodies, enforced before the app reads them."""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Multipart framing adds a little to the file; allow for it so a file just under the limit passes.
MULTIPART_ALLOWANCE = 64 * 1024


def too_large(max_upload_bytes: int) -> HTTPException:
    """The one 413, whether this middleware or the copy to disk notices the excess first."""
    return HTTPException(413, detail=f"the upload exceeds the limit of {max_upload_bytes} bytes")


class BodyLimit:
    """Refuse a body over MAX_UPLOAD_BYTES (plus framing): at once when Content-Length declares
    it, else as soon as that much has arrived (a chunked upload declares nothing).

    It has to be a middleware: a route that takes a form gets it parsed, and the whole upload
    spooled to disk, before any of its dependencies runs.
    """

    def __init__(self, app: ASGIApp, max_upload_bytes: int) -> None:
        self.app = app
        self.max_upload_bytes = max_upload_bytes
        self.cap = max_upload_bytes + MULTIPART_ALLOWANCE

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdigit() and int(declared) > self.cap:
            error = too_large(self.max_upload_bytes)
            response = JSONResponse({"detail": error.detail}, status_code=error.status_code)
            await response(scope, receive, send)
            return
        received = 0

        async def counted_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.cap:
                    # FastAPI re-raises an HTTPException met while reading the body.
                    raise too_large(self.max_upload_bytes)
            return message

        await self.app(scope, counted_receive, send)
