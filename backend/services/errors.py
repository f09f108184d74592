"""Failures a service reports to the routes: an outside service or the database unavailable
(503), media it cannot read."""


class ServiceUnavailable(Exception):
    """A collaborator the request needs cannot answer now; the client may retry later (503,
    `Retry-After: retry_after` seconds)."""

    def __init__(self, detail: str, *, retry_after: int = 30) -> None:
        super().__init__(detail)
        self.detail = detail
        self.retry_after = retry_after


class UnreadableMedia(Exception):
    """The video's stored file is not audio or video the engine can decode (a 409: uploading
    another file, as a new video, is what fixes it)."""
