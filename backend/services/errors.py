"""Failures a service reports to the routes: an outside service down (503), media it cannot read."""


class ServiceUnavailable(Exception):
    """A collaborator the request needs cannot answer now; the client may retry later."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class UnreadableMedia(Exception):
    """The video's stored file is not audio or video the engine can decode (a 409: uploading
    another file, as a new video, is what fixes it)."""
