"""The like history: every post the account ever liked, kept for good (spec 8.1).

A cycle only ever looks at the first page of each target, so the frequently saved
working store (`store.py`) keeps just the recent posts; older ones move here, into an
SQLite file next to the store (`.storage/ig_autoliker.<entry_id>.history.db`). It is
written when posts move over (at most hourly) and read only for a post the working
store does not know: its cost does not grow with the history on the event loop, and
setup never reads it.

Every method blocks (file I/O): call it in an executor job. Each call opens its own
connection, so no thread or handle outlives the call.
"""

from __future__ import annotations

import contextlib
import sqlite3
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Mapping
    from pathlib import Path

#: SQLite limits host parameters per statement (999 before 3.32); stay below.
_CHUNK = 500

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS liked_posts "
    "(pk TEXT PRIMARY KEY, liked_at REAL NOT NULL) WITHOUT ROWID"
)


class HistoryDamagedError(Exception):
    """The history file is not a readable database; it was moved aside."""


class LikeHistory:
    """Liked posts (pk -> Unix seconds of the like) in an SQLite file.

    Args:
        path: The database file; created with its folder on the first write.

    """

    def __init__(self, path: Path) -> None:
        """Remember the file; nothing is opened yet."""
        self.path = path

    @contextlib.contextmanager
    def _connect(self, *, create: bool) -> Iterator[sqlite3.Connection | None]:
        """Open the database for one call, commit on success.

        Yields None when the file does not exist and `create` is False.

        Raises:
            HistoryDamagedError: The file is not a database (moved aside first).

        """
        if not create and not self.path.exists():
            yield None
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            with contextlib.closing(sqlite3.connect(self.path)) as conn, conn:
                conn.execute(_SCHEMA)
                yield conn
        except sqlite3.DatabaseError as err:
            if isinstance(err, sqlite3.OperationalError) and self.path.exists():
                # Locked or disk full: the file is fine, the caller decides.
                raise
            self._move_aside()
            raise HistoryDamagedError(str(err)) from err

    def _move_aside(self) -> None:
        """Keep a damaged file for the user (`.corrupt`) and start a new one."""
        with contextlib.suppress(OSError):
            self.path.replace(self.path.with_name(f"{self.path.name}.corrupt"))

    def add(self, posts: Mapping[str, float]) -> None:
        """Record liked posts; a post already recorded keeps its first like time.

        Raises:
            HistoryDamagedError: The file was damaged; `posts` are not recorded.

        """
        if not posts:
            return
        with self._connect(create=True) as conn:
            assert conn is not None  # noqa: S101 - create=True always connects
            conn.executemany(
                "INSERT OR IGNORE INTO liked_posts (pk, liked_at) VALUES (?, ?)",
                posts.items(),
            )

    def find(self, pks: Iterable[str]) -> dict[str, float]:
        """Return the like times of those of `pks` that were ever liked.

        Raises:
            HistoryDamagedError: The file was damaged (moved aside, now empty).

        """
        wanted = list(dict.fromkeys(pks))
        found: dict[str, float] = {}
        with self._connect(create=False) as conn:
            if conn is None:
                return found
            for start in range(0, len(wanted), _CHUNK):
                chunk = wanted[start : start + _CHUNK]
                marks = ",".join("?" * len(chunk))
                rows = conn.execute(
                    f"SELECT pk, liked_at FROM liked_posts WHERE pk IN ({marks})",  # noqa: S608 - only placeholders
                    chunk,
                )
                found.update(rows)
        return found

    def count(self) -> int:
        """Return how many posts the history holds (0 without a file).

        Raises:
            HistoryDamagedError: The file was damaged (moved aside, now empty).

        """
        with self._connect(create=False) as conn:
            if conn is None:
                return 0
            (total,) = conn.execute("SELECT COUNT(*) FROM liked_posts").fetchone()
            return int(total)

    def remove(self) -> None:
        """Delete the file (the account was removed)."""
        self.path.unlink(missing_ok=True)
