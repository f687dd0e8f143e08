"""TutorMax's use cases. They read and write through `repository` and only flush; the edge
commits. `tutors`: a tutor's detail (re-exported here); `profiles`: the tutor list, profile,
high-risk queue and model card; each engine adds its module."""

from lyceum.tutormax.service.tutors import tutor_detail

__all__ = ["tutor_detail"]
