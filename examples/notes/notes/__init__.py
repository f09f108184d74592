"""Notes: accounts with bearer tokens and notes each user owns, on a sync SQLAlchemy Session."""
