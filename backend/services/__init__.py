"""Domain logic and outside collaborators, free of HTTP concerns.

Services own the rules; a route parses the request, calls one service function and maps the
domain errors it raises (`backend.services.errors`) to status codes.

Who commits, one rule: the service function a route calls is one unit of work and commits it,
once, after every rule has passed and every write is in the session. The functions it builds on
(`translation.translate_words`, `backend.queries`, `media`) only add to the session and never
commit, so a use case that combines them (a game that fills the translation cache) stores all
of it or, when a rule refuses the request part-way, none of it. Routes never commit.
"""
