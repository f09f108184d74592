"""Failures of outside services, answered as 503 by the app."""


class ServiceUnavailable(Exception):
    """A collaborator the request needs cannot answer now; the client may retry later."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail
