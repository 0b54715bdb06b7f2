"""Readers that turn another system's course export into a ``course_src/`` tree (``coursepack import``)."""
