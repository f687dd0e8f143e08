"""TutorMax's use cases. They read and write through `repository` and only flush; the edge
commits. `tutors`: the tutor list and detail (re-exported here); each engine adds its module."""

from lyceum.tutormax.service.tutors import tutor_detail, tutor_page

__all__ = ["tutor_detail", "tutor_page"]
