"""The one type a station refusal has.

A refusal is the station declining what was asked, with a reason written for the person who asked
(a badge without the right, a shift that cannot start, a label stock it cannot print, a value the
database cannot keep). It is never a ``ValueError``: a ``ValueError`` from deep in the code is a
station defect, and a face that shows refusals politely must not show a defect that way.
"""

from __future__ import annotations


class Refused(Exception):
    """The station declines a request; ``str(exc)`` says why and what to do instead."""
