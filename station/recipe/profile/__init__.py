"""Gauge profiles: what the gauge is. The data-flash layout of one gauge firmware (addresses,
types, limits, units, sources, sign-offs), the files it is kept in and the library that finds them.
The shipped profiles are data, in ``shipped/``.
"""
