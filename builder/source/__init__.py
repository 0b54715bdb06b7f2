"""Reading ``course_src/`` into the model; knows nothing of targets."""

from builder.source.loader import load_course

__all__ = ["load_course"]
