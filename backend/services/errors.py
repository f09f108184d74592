"""Failures a service reports to the routes, each of which maps it to one status code: a request
the state of the user's data refuses (409), an outside service or the database unavailable
(503), media it cannot read (409)."""


class Conflict(Exception):
    """The request is well formed but the user's data refuses it now (409); the message names
    the field at fault and what would be accepted."""


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
