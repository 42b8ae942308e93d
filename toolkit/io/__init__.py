"""Every file the toolkit reads or writes goes through here.

`reader` is the one way in: missing, unreadable, non-UTF-8, truncated or malformed input becomes an
`InputError` naming the file, line and column (exit 2), never a traceback. `jsonstream` streams
huge JSON arrays one element at a time. `writer` is the one way out: atomic replacement, so a kill
at any moment leaves the previous file or the new one, with the permissions the user's umask gives.
"""
