"""Fixed facts the synthetic data is built from: the instant it describes, scales, names,
schools, chapter codes, and the plan terms handed in from the database."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta, timezone
from decimal import Decimal
from random import Random

from lyceum.mathvidya.enums import PlanType

# The data describes Mathvidya at this instant (Friday 20 November 2026, noon IST): fixed, so a
# seed gives the same rows on any day. Active subscriptions run until at least two months later.
AS_OF = datetime(2026, 11, 20, 6, 30, tzinfo=UTC)
IST = timezone(timedelta(hours=5, minutes=30), "IST")

# The SLA clock of migration 0007's `sla.*` settings: 09:00-18:00 IST, Monday to Saturday.
WORKDAY_START = time(9)
WORKDAY_END = time(18)
WORKING_WEEKDAYS = frozenset(range(6))

EMAIL_DOMAIN = "example.com"
ANSWER_SHEET_BUCKET = "mathvidya-answer-sheets"
SOURCE = "Mathvidya original"


@dataclass(frozen=True)
class MathvidyaScale:
    name: str
    students: int
    teachers: int
    admins: int
    # Active questions per chapter of each type: MCQ, VSA, SA, LA (a third of LA case-based).
    per_chapter: tuple[int, int, int, int]
    # Mean exams a student has taken in the history window.
    exams_per_student: float


SCALES: dict[str, MathvidyaScale] = {
    "small": MathvidyaScale("small", 60, 5, 2, (5, 2, 2, 3), 3.0),
    "default": MathvidyaScale("default", 600, 20, 3, (15, 8, 8, 8), 5.0),
    "large": MathvidyaScale("large", 3_000, 60, 5, (40, 20, 20, 20), 6.0),
}


@dataclass(frozen=True)
class PlanTerms:
    """A row of `subscription_plans` (seeded by migration 0007), read by the loader."""

    id: uuid.UUID
    plan_type: PlanType
    exams_per_month: int
    sla_hours: int
    leaderboard_access: bool
    annual_price_inr: Decimal


# Share of students on each plan.
PLAN_SHARES: dict[PlanType, float] = {
    PlanType.BASIC: 0.35,
    PlanType.PREMIUM_MCQ: 0.25,
    PlanType.PREMIUM: 0.25,
    PlanType.CENTUM: 0.15,
}
# How much more than a basic-plan student each plan's students practise.
PLAN_ACTIVITY: dict[PlanType, float] = {
    PlanType.BASIC: 0.7,
    PlanType.PREMIUM_MCQ: 1.0,
    PlanType.PREMIUM: 1.3,
    PlanType.CENTUM: 1.5,
}

MALE_NAMES = (
    "Aarav", "Vivaan", "Aditya", "Vihaan", "Arjun", "Sai", "Reyansh", "Krishna", "Ishaan",
    "Shaurya", "Atharv", "Ayaan", "Dhruv", "Kabir", "Rohan", "Rahul", "Karthik", "Pranav",
    "Siddharth", "Aniket", "Harsh", "Nikhil", "Varun", "Yash", "Manish", "Suresh", "Ramesh",
    "Rajesh", "Vikram", "Anil", "Sanjay", "Deepak", "Gaurav", "Abhishek", "Naveen", "Praveen",
    "Arun", "Vijay", "Ravi", "Mohan", "Imran", "Farhan", "Joseph", "Thomas", "Gurpreet",
    "Harpreet", "Anand", "Srinivas", "Venkat", "Mahesh",
)  # fmt: skip
FEMALE_NAMES = (
    "Aadhya", "Ananya", "Diya", "Saanvi", "Pari", "Anika", "Navya", "Myra", "Ira", "Kavya",
    "Aarohi", "Ishita", "Riya", "Sneha", "Pooja", "Priya", "Neha", "Shreya", "Meera", "Tanvi",
    "Nandini", "Lakshmi", "Divya", "Swati", "Anjali", "Sunita", "Kavita", "Rekha", "Geeta",
    "Asha", "Deepa", "Lata", "Usha", "Radha", "Shalini", "Preeti", "Fatima", "Ayesha",
    "Mary", "Simran", "Harleen", "Jyoti", "Archana", "Bhavana", "Padma", "Vidya", "Revathi",
    "Keerthi", "Malini", "Sowmya",
)  # fmt: skip
SURNAMES = (
    "Sharma", "Verma", "Gupta", "Agarwal", "Singh", "Kumar", "Patel", "Shah", "Mehta", "Desai",
    "Joshi", "Kulkarni", "Deshpande", "Patil", "Rao", "Reddy", "Naidu", "Iyer", "Iyengar",
    "Nair", "Menon", "Pillai", "Krishnan", "Subramanian", "Banerjee", "Chatterjee", "Mukherjee",
    "Das", "Bose", "Ghosh", "Sen", "Mishra", "Tiwari", "Pandey", "Dubey", "Chauhan", "Yadav",
    "Jain", "Malhotra", "Kapoor", "Khanna", "Bhatia", "Gill", "Sandhu", "Khan", "Qureshi",
    "Fernandes", "D'Souza", "Thomas", "Hegde",
)  # fmt: skip
SCHOOLS = (
    "Green Valley Public School, Bengaluru", "Sunrise Senior Secondary School, Jaipur",
    "Lotus Vidyalaya, Chennai", "Riverside Academy, Pune", "Saraswati Vidya Niketan, Lucknow",
    "Himalaya Public School, Dehradun", "Coastal International School, Kochi",
    "Deccan Model School, Hyderabad", "Ganga Valley School, Patna", "Narmada Public School, Bhopal",
    "Lakeview Senior Secondary School, Udaipur", "St. Xavier's Model School, Ranchi",
    "Banyan Tree School, Gurugram", "Modern Scholars Academy, Kolkata",
    "Western Ghats Vidyalaya, Mangaluru", "Central Heights School, Nagpur",
    "Pearl City Public School, Thoothukudi", "Silver Oak School, Ahmedabad",
    "Kaveri International School, Mysuru", "Capital Public School, New Delhi",
)  # fmt: skip

# Short codes for question codes ("X-RN-MCQ-001").
CHAPTER_CODES: dict[str, str] = {
    "Real Numbers": "RN",
    "Polynomials": "POLY",
    "Pair of Linear Equations in Two Variables": "LEQ",
    "Quadratic Equations": "QE",
    "Arithmetic Progressions": "AP",
    "Coordinate Geometry": "CG",
    "Triangles": "TRI",
    "Circles": "CIR",
    "Introduction to Trigonometry": "TRIG",
    "Some Applications of Trigonometry": "HD",
    "Areas Related to Circles": "ARC",
    "Surface Areas and Volumes": "SAV",
    "Statistics": "STAT",
    "Probability": "PROB",
    "Relations and Functions": "RF",
    "Inverse Trigonometric Functions": "ITF",
    "Matrices": "MAT",
    "Determinants": "DET",
    "Continuity and Differentiability": "CD",
    "Applications of Derivatives": "AOD",
    "Integrals": "INT",
    "Applications of the Integrals": "AOI",
    "Differential Equations": "DE",
    "Vectors": "VEC",
    "Three-dimensional Geometry": "3D",
    "Linear Programming": "LP",
}

CASE_FRAMES = (
    "The maths club of a school ran a puzzle trail on {topic}. Three of its stations asked the"
    " following.",
    "During revision week a teacher wrote three problems on {topic} on the board for a group"
    " activity.",
    "A team preparing for an inter-school quiz on {topic} was given these three tasks.",
)


def new_id(rng: Random) -> uuid.UUID:
    """A version-4 UUID from the seeded stream: random-looking, yet the same for a seed."""
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:50]


def stream(seed: int, purpose: str) -> Random:
    """An independent random stream per purpose, so adding draws to one part of the model does
    not change the others."""
    return Random(f"mathvidya:{seed}:{purpose}")  # noqa: S311 - reproducible data, no secrets


__all__ = [
    "ANSWER_SHEET_BUCKET",
    "AS_OF",
    "CASE_FRAMES",
    "CHAPTER_CODES",
    "EMAIL_DOMAIN",
    "FEMALE_NAMES",
    "IST",
    "MALE_NAMES",
    "PLAN_ACTIVITY",
    "PLAN_SHARES",
    "SCALES",
    "SCHOOLS",
    "SOURCE",
    "SURNAMES",
    "WORKDAY_END",
    "WORKDAY_START",
    "WORKING_WEEKDAYS",
    "MathvidyaScale",
    "PlanTerms",
    "new_id",
    "slug",
    "stream",
]
