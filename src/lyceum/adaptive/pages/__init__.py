"""The adaptive app's web pages, mounted at /adaptive: server-rendered, calling the same
services as the API (`service.mastery`, `service.plans`, `service.classes`,
`service.sync_status`), never the API over HTTP.

Students (their own data only; the account is the sign-in's subject):
- `/` — their home: today's plan, where they stand per unit, a way to practise;
- `/mastery` — the mastery map: the knowledge graph in layers, each concept coloured by
  P(mastered) with its confidence and status, expected marks;
- `/plan` — today's items (done or not, from the plan's progress events) and the days ahead,
  expected marks against the weightage-only plan, the profile form (exam date, weekly hours,
  target: a change replans at once) and "make my plan now";
- `/practice` — the next question and why it was chosen; the answer's verdict, explanation
  and the concept's mastery before → after;
- `/my-sync` — their devices, what waits to be sent, dead letters with the server's reasons.

Teachers (their own classes), adaptive admins and platform admins (every class):
- `/` — their classes; `/classes/{id}` — heatmap of students by topics and the students whose
  expected marks fall short of their target (another teacher's class: the 404 page);
- `/sync` — sync health (issue 17).

Forms are plain HTML forms (they work without scripts) carrying the session's CSRF token.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from lyceum.adaptive.pages import classes, learning, practice, sync


def router() -> APIRouter:
    pages = APIRouter(include_in_schema=False)
    get, post = ["GET"], ["POST"]
    routes = (
        ("/", learning.home_page, get, "adaptive_home"),
        ("/mastery", learning.mastery_page, get, "adaptive_mastery"),
        ("/plan", learning.plan_page, get, "adaptive_plan"),
        ("/plan/profile", learning.profile_form, post, "adaptive_profile"),
        ("/plan/replan", learning.replan_form, post, "adaptive_replan"),
        ("/plan/done", learning.done_form, post, "adaptive_plan_done"),
        ("/practice", practice.practice_page, get, "adaptive_practice"),
        ("/practice", practice.answer_form, post, "adaptive_answer"),
        ("/my-sync", sync.my_sync_page, get, "adaptive_my_sync"),
        ("/sync", sync.sync_page, get, "adaptive_sync"),
        ("/classes/{class_id}", classes.class_page, get, "adaptive_class"),
    )
    for path, endpoint, methods, name in routes:
        pages.add_api_route(path, endpoint, methods=methods, response_class=HTMLResponse, name=name)
    return pages


__all__ = ["router"]
