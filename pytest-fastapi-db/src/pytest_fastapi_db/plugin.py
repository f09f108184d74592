"""The plugin's options and hooks; pytest loads this module through the `pytest11` entry point."""

from __future__ import annotations
