"""Domain logic and outside collaborators, free of HTTP concerns."""
