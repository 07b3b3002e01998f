"""Exceptions raised by the storage layer; each message says what is wrong and how to fix it."""


class StorageError(Exception):
    """Base class for every error the storage layer reports to a person."""


class NoDatabaseError(StorageError):
    """No PTune Studio database is there yet (a missing or empty file), when none may be made."""


class CorruptDatabaseError(StorageError):
    """The database file is not SQLite or is damaged."""


class ForeignDatabaseError(StorageError):
    """The file is a SQLite database that belongs to another program."""


class DatabaseLockedError(StorageError):
    """Another connection kept the database locked past the busy timeout."""


class RunNotFoundError(StorageError, LookupError):
    """No run with that id is recorded."""


class SweepNotFoundError(StorageError, LookupError):
    """No sweep with that id is recorded."""


class AdapterNotFoundError(StorageError, LookupError):
    """The run has no stored adapter."""


class CheckpointMissingError(StorageError):
    """No resumable checkpoint is recorded for the run, or its folder is gone."""


class ArchiveError(StorageError):
    """A run archive (zip) is unreadable, incomplete or unsafe to import."""


class NotWaitingError(StorageError, LookupError):
    """The run is not waiting in the app's queue (it started, was cancelled, or never was)."""


class InvalidNameError(StorageError):
    """A name given to a run, a sweep or a few-shot experiment is empty."""


class GroupStateError(StorageError):
    """The sweep or few-shot experiment is running, so it cannot be resumed or deleted now."""


class UnsafePathError(StorageError):
    """A stored adapter file path would lead outside the folder it is written into."""
