"""packline station: end-of-line programming and traceability for BQ40Z50 smart battery packs."""

import datetime as _dt
from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("packline-station")
except PackageNotFoundError:  # running from a checkout that was never installed
    __version__ = "0.0.0+checkout"

#: The day this version of the software was made: a station clock earlier than this is wrong
#: (a clock that lost its time shows 1970 or 2000), and the station refuses to date packs by it.
BUILD_DATE = _dt.date(2026, 12, 1)
